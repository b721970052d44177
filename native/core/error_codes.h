// The project's stable error codes, shared with TypeScript: lib/errors.ts
// ErrorCodes holds exactly these keys and strings, and
// test/native/error-codes.test.ts parses this list and checks both ways (and
// that no other native file spells a code). Add a code in both places.
//   X(C++ constant in nax::codes, ErrorCodes key, code)
#pragma once

#define NAX_ERROR_CODES(X)                                          \
  X(kInvalidArgument, invalidArgument, "ERR_NAX_INVALID_ARGUMENT") \
  X(kOutOfRange, outOfRange, "ERR_NAX_OUT_OF_RANGE")               \
  X(kSizeMismatch, sizeMismatch, "ERR_NAX_SIZE_MISMATCH")          \
  X(kNumerical, numerical, "ERR_NAX_NUMERICAL")                    \
  X(kCancelled, cancelled, "ERR_NAX_CANCELLED")                    \
  X(kInternal, internal, "ERR_NAX_INTERNAL")                       \
  X(kAddonLoad, addonLoad, "ERR_NAX_ADDON_LOAD")                   \
  X(kConfig, config, "ERR_NAX_CONFIG")                             \
  X(kOnnxParse, onnxParse, "ERR_NAX_ONNX_PARSE")                   \
  X(kOnnxUnsupported, onnxUnsupported, "ERR_NAX_ONNX_UNSUPPORTED") \
  X(kDataset, dataset, "ERR_NAX_DATASET")                          \
  X(kIo, io, "ERR_NAX_IO")                                         \
  X(kMemory, memory, "ERR_NAX_MEMORY")
