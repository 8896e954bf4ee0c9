// core-private header, included by the files below.
#pragma once
