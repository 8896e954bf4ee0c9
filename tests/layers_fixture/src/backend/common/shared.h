// shared by the backends.
#pragma once
