// a folder in no layer: 1 violation.
