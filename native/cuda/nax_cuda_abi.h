// The C ABI between the core (native/core/cuda_backend.cc, plain C++17) and the CUDA library
// (native/cuda/nax_cuda.cu, built as its own shared library libnax_cuda by CMake's NAX_CUDA).
// The addon never links CUDA: it dlopen()s the library on first use, so a machine without
// nvcc, libcudart or a GPU loads and runs the addon unchanged (`nax-native info` reports why
// CUDA is not available). Plain C types only; bump NAX_CUDA_ABI_VERSION on any change.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define NAX_CUDA_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef struct NaxCudaDeviceInfo {
  int deviceCount;
  char name[256];
  int computeMajor, computeMinor;
  size_t memoryBytes;
  int runtimeVersion, driverVersion;  // CUDA versions, 1000*major + 10*minor
} NaxCudaDeviceInfo;

// Static shape of a programmed crossbar layer (CrossbarLayer's geometry and E_t layout,
// crossbar.h): E_t is rowTiles * rows * width floats, row-major per tile.
typedef struct NaxCudaCrossbarShape {
  size_t k, n, rows, cols, rowTiles, colTiles, segments, cycles, width;
  int dacBits;
  int hasNoiseSquares;  // device read noise: the squared-current matrix, laid out like E_t
} NaxCudaCrossbarShape;

// One run's parameters: what crossbar_run.cc's runFused computes before its loop.
typedef struct NaxCudaCrossbarRun {
  size_t batch;
  int passes;             // 2 when any input is negative
  double inputLsb, xMax;  // DAC input quantisation
  float invStep, lo, hi;  // 1/step (LSB per code) and the ADC code range
  int unitStep;           // step == 1
  int noise;              // 0 none, 1 output-referred (sigma LSB), 2 device (relative sigma)
  float sigma;
  double perDigit;        // digital offset per unit digit (0: none)
  uint64_t noiseSeed;     // config seed ^ the read-noise stream
  uint64_t sampleBase;    // index of the first sample in the layer's run sequence
  int fma;                // mirror the CPU build's fused multiply-adds (BuildInfo::fma)
  const double* segmentScale;  // segments
  const float* cycleScale;     // cycles
} NaxCudaCrossbarRun;

typedef struct NaxCudaConvShape {
  int cin, cout, kernel, stride, pad;
  int n, h, w;  // input batch and image size (CNHW layout)
} NaxCudaConvShape;

// Every entry returns 0 on success, else a CUDA or argument error written to err (NUL-ended).
typedef int (*NaxCudaAbiVersionFn)(void);
typedef int (*NaxCudaProbeFn)(NaxCudaDeviceInfo* info, char* err, size_t errLen);
typedef int (*NaxCudaCrossbarCreateFn)(const NaxCudaCrossbarShape* shape, const float* effective,
                                       const float* noiseSquares, const float* digitLevels,
                                       const double* weightScale, void** handle, char* err, size_t errLen);
typedef void (*NaxCudaCrossbarDestroyFn)(void* handle);
typedef int (*NaxCudaCrossbarRunFn)(void* handle, const NaxCudaCrossbarRun* run, const float* inputs, float* out,
                                    char* err, size_t errLen);
// y = conv(x) + bias (bias may be null); host pointers, CNHW like native/core/train_conv.h.
typedef int (*NaxCudaConvForwardF32Fn)(const NaxCudaConvShape* s, const float* x, const float* w, const float* bias,
                                       float* y, char* err, size_t errLen);
typedef int (*NaxCudaConvForwardF64Fn)(const NaxCudaConvShape* s, const double* x, const double* w,
                                       const double* bias, double* y, char* err, size_t errLen);
// dx += d/dx (dx may be null), dw = d/dw, db = d/dbias (may be null), as train::convBackward.
typedef int (*NaxCudaConvBackwardF32Fn)(const NaxCudaConvShape* s, const float* x, const float* w, const float* dy,
                                        float* dx, float* dw, float* db, char* err, size_t errLen);
typedef int (*NaxCudaConvBackwardF64Fn)(const NaxCudaConvShape* s, const double* x, const double* w,
                                        const double* dy, double* dx, double* dw, double* db, char* err,
                                        size_t errLen);

#ifdef __cplusplus
}
#endif
