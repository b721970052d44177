// CUDA path of the crossbar run and the training convolutions, built as its own shared library
// (CMake NAX_CUDA) and loaded by the core at run time (native/core/cuda_backend.cc). It mirrors
// native/core/crossbar_run.cc's fused path: the same DAC digits, the same per-element
// accumulation order (one thread sums digits x E_t over the tile's rows in order, with the
// CPU build's FMA choice), the same counter-keyed read noise, ADC rounding and digital
// offset, so it returns the CPU path's results. The cycle shift-add sums exact integers
// (the fused path's float bound: below 2^24), so its order (atomics) cannot change a bit; the
// slice/polarity and row-tile sums run in double in the CPU's order.
// The training convolutions are implicit GEMMs (no materialised im2col) on one tiled kernel;
// the weight gradient splits its reduction into a fixed number of chunks summed in order, so
// every result is deterministic for a given GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "crossbar_math.h"
#include "nax_cuda_abi.h"

namespace {

using namespace nax_cuda;

struct CudaError {
  std::string message;
};

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw CudaError{std::string(what) + ": " + cudaGetErrorString(status)};
}

int fail(const std::string& message, char* err, size_t errLen) {
  if (err && errLen > 0) {
    std::strncpy(err, message.c_str(), errLen - 1);
    err[errLen - 1] = '\0';
  }
  return 1;
}

template <typename F>
int guarded(char* err, size_t errLen, F&& body) {
  try {
    body();
    return 0;
  } catch (const CudaError& e) {
    return fail(e.message, err, errLen);
  } catch (const std::bad_alloc&) {
    return fail("out of host memory", err, errLen);
  } catch (const std::exception& e) {
    return fail(e.what(), err, errLen);
  }
}

// Device buffer owned by RAII.
template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t count = 0;
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) { resize(n); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
  void resize(size_t n) {
    if (n <= count) return;
    if (ptr) cudaFree(ptr);
    ptr = nullptr;
    count = 0;
    check(cudaMalloc(&ptr, std::max<size_t>(n, 1) * sizeof(T)), "cudaMalloc");
    count = n;
  }
  void upload(const T* host, size_t n) { check(cudaMemcpy(ptr, host, n * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy to device"); }
  void download(T* host, size_t n) const { check(cudaMemcpy(host, ptr, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy to host"); }
};

inline unsigned blocksFor(size_t n, unsigned threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

void checkLaunch(const char* what) { check(cudaGetLastError(), what); }

// ---------------------------------------------------------------- crossbar run

// digits[i * m + r], r = (p * count + b) * cycles + cy (crossbar_run.cc buildDigits, one
// chunk of count samples starting at b0).
__global__ void buildDigitsKernel(const float* __restrict inputs, size_t k, size_t count, int passes, size_t cycles,
                                  int dacBits, double inputLsb, double xMax, const float* __restrict levels,
                                  float* __restrict digits, size_t m) {
  const size_t idx = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (idx >= k * count * passes) return;
  const size_t b = idx % count, rest = idx / count, i = rest % k;
  const int p = static_cast<int>(rest / k);
  const uint32_t u = dacCode(inputs[b * k + i], p, inputLsb, xMax);
  const uint32_t mask = (1u << dacBits) - 1;
  float* d = digits + i * m + (p * count + b) * cycles;
  for (size_t c = 0; c < cycles; ++c) d[c] = levels[(u >> (c * dacBits)) & mask];
}

// One block per sample, its threads striding over the sample's k inputs (coalesced reads; a
// thread per sample walking its whole row took 54 us of a 6 ms run on the H200).
__global__ void markNegativeKernel(const float* __restrict inputs, size_t k, char* __restrict hasNegative) {
  const size_t b = blockIdx.x;
  int any = 0;
  for (size_t i = threadIdx.x; i < k; i += blockDim.x) any |= inputs[b * k + i] < 0;
  any = __syncthreads_or(any);
  if (threadIdx.x == 0) hasNegative[b] = static_cast<char>(any);
}

// Row sums of one tile's digits in double, in row order (crossbar_run.cc digitalOffsets).
__global__ void offsetsKernel(const float* __restrict tileDigits, size_t m, size_t tileRows, double perDigit,
                              int unitStep, float invStep, float* __restrict offset, float* __restrict offsetCode) {
  const size_t r = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (r >= m) return;
  double sum = 0;
  for (size_t i = 0; i < tileRows; ++i) sum += tileDigits[i * m + r];
  offsetOf(sum, perDigit, unitStep != 0, invStep, offset + r, offsetCode + r);
}

struct TileRun {
  const float* digits;   // tile's digits, [i][r], ld m
  const float* squares;  // squared digits (noise 2), same layout, or null
  const float* E;        // E_t, [i][col], ld width
  const float* S;        // squared currents (noise 2), like E_t
  size_t m, width, tileRows, cycles, count;
  int tile;
  int noise;
  float sigma;
  uint64_t noiseSeed, sampleBase;
  int fma, unitStep, hasOffset;
  float invStep, lo, hi;
  const float* offset;
  const float* offsetCode;
  const float* cycleScale;
  float* columnSum;  // [(p*count + b)][width], zeroed per tile
};

// 64 conversion rows x 64 ADC columns per block, 16 x 16 threads, 4 x 4 outputs each. Every
// output sums its products over the tile's rows in order (0, 1, 2, ...), as the CPU kernel.
constexpr int kTile = 64, kSlab = 16, kPer = 4;

template <int kNoise>
__global__ void __launch_bounds__(256) crossbarTileKernel(TileRun t) {
  __shared__ float sD[kSlab][kTile];
  __shared__ float sE[kSlab][kTile];
  __shared__ float sQ[kNoise == 2 ? kSlab : 1][kTile];
  __shared__ float sS[kNoise == 2 ? kSlab : 1][kTile];
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
  const size_t r0 = blockIdx.y * static_cast<size_t>(kTile), c0 = blockIdx.x * static_cast<size_t>(kTile);
  const bool fused = t.fma != 0;
  float acc[kPer][kPer] = {};
  float var[kNoise == 2 ? kPer : 1][kNoise == 2 ? kPer : 1] = {};
  for (size_t i0 = 0; i0 < t.tileRows; i0 += kSlab) {
    for (int e = tid; e < kSlab * kTile; e += 256) {
      const int si = e / kTile, sj = e % kTile;
      const size_t i = i0 + si, r = r0 + sj, col = c0 + sj;
      const bool rowOk = i < t.tileRows;
      sD[si][sj] = rowOk && r < t.m ? t.digits[i * t.m + r] : 0.0f;
      sE[si][sj] = rowOk && col < t.width ? t.E[i * t.width + col] : 0.0f;
      if (kNoise == 2) {
        sQ[si][sj] = rowOk && r < t.m ? t.squares[i * t.m + r] : 0.0f;
        sS[si][sj] = rowOk && col < t.width ? t.S[i * t.width + col] : 0.0f;
      }
    }
    __syncthreads();
    const int slab = static_cast<int>(min(static_cast<size_t>(kSlab), t.tileRows - i0));
    for (int s = 0; s < slab; ++s) {
      float a[kPer], b[kPer];
#pragma unroll
      for (int u = 0; u < kPer; ++u) a[u] = sD[s][ty + 16 * u];
#pragma unroll
      for (int v = 0; v < kPer; ++v) b[v] = sE[s][tx + 16 * v];
#pragma unroll
      for (int u = 0; u < kPer; ++u)
#pragma unroll
        for (int v = 0; v < kPer; ++v) acc[u][v] = fmaOr(fused, a[u], b[v], acc[u][v]);
      if (kNoise == 2) {
#pragma unroll
        for (int u = 0; u < kPer; ++u) a[u] = sQ[s][ty + 16 * u];
#pragma unroll
        for (int v = 0; v < kPer; ++v) b[v] = sS[s][tx + 16 * v];
#pragma unroll
        for (int u = 0; u < kPer; ++u)
#pragma unroll
          for (int v = 0; v < kPer; ++v) var[kNoise == 2 ? u : 0][kNoise == 2 ? v : 0] =
              fmaOr(fused, a[u], b[v], var[kNoise == 2 ? u : 0][kNoise == 2 ? v : 0]);
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int u = 0; u < kPer; ++u) {
    const size_t r = r0 + ty + 16 * u;
    if (r >= t.m) continue;
    const size_t sIdx = r / t.cycles, cy = r % t.cycles, p = sIdx / t.count, b = sIdx % t.count;
    const uint64_t key = kNoise > 0 ? hashKey(t.noiseSeed, static_cast<uint64_t>(t.tile), t.sampleBase + b,
                                              p * t.cycles + cy)
                                    : 0;
    const float off = t.hasOffset ? t.offset[r] : 0.0f, offCode = t.hasOffset ? t.offsetCode[r] : 0.0f;
    const float scale = t.cycleScale[cy];
#pragma unroll
    for (int v = 0; v < kPer; ++v) {
      const size_t col = c0 + tx + 16 * v;
      if (col >= t.width) continue;
      const float z = kNoise > 0 ? gaussianAt(fused, key, static_cast<uint32_t>(col)) : 0.0f;
      const float dn = kNoise == 2 ? deviceNoise(t.sigma, var[kNoise == 2 ? u : 0][kNoise == 2 ? v : 0], z) : 0.0f;
      const float code = adcCode(fused, acc[u][v], kNoise, t.sigma, z, dn, t.hasOffset != 0, off, offCode,
                                 t.unitStep != 0, t.invStep, t.lo, t.hi);
      // Exact: integer codes times powers of two, column sums below 2^24 (the fused bound).
      atomicAdd(t.columnSum + sIdx * t.width + col, code * scale);
    }
  }
}

// crossbar_run.cc reduceColumns for one sample (pass p, sample b) and output column j, added
// to total in row-tile order.
__global__ void reduceColumnsKernel(const float* __restrict columnSum, const double* __restrict segmentScale,
                                    size_t segments, size_t n, size_t cols, size_t width, size_t count, int passes,
                                    const char* __restrict hasNegative, int fma, double* __restrict total) {
  const size_t idx = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (idx >= passes * count * n) return;
  const size_t j = idx % n, s = idx / n, b = s % count, p = s / count;
  if (p == 1 && !hasNegative[b]) return;
  const size_t ct = j / cols, n0 = ct * cols, tileCols = min(cols, n - n0), jj = j - n0;
  const float* seg = columnSum + s * width + segments * n0;
  double o = segmentScale[0] * static_cast<double>(seg[jj]);
  for (size_t pl = 1; pl < segments; ++pl) o = fmaOr(fma != 0, segmentScale[pl], static_cast<double>(seg[pl * tileCols + jj]), o);
  total[idx] += o;
}

__global__ void writeOutputsKernel(const double* __restrict total, size_t count, size_t n, int passes, double inputLsb,
                                   const double* __restrict weightScale, float* __restrict out) {
  const size_t idx = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (idx >= count * n) return;
  const size_t j = idx % n, b = idx / n;
  const double pos = total[b * n + j];
  const double q = passes == 2 ? pos - total[(count + b) * n + j] : pos;
  out[idx] = static_cast<float>((q * inputLsb) * weightScale[j]);
}

__global__ void squareKernel(const float* __restrict d, size_t count, float* __restrict sq) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < count) sq[i] = d[i] * d[i];
}

// Per-run device scratch, kept with the layer and grown only, so a run costs no cudaMalloc /
// cudaFree pair per buffer (on the H200 the first version spent most of a 64x64 run there).
// One run at a time per layer: the mutex serialises callers that share a layer.
struct CrossbarScratch {
  DeviceBuffer<float> dIn, digits, squares, offset, offsetCode, cycleScale, columnSum, dOut;
  DeviceBuffer<double> segmentScale, total;
  DeviceBuffer<char> hasNegative;
};

struct CrossbarHandle {
  NaxCudaCrossbarShape shape;
  DeviceBuffer<float> effective, noiseSquares, levels;
  DeviceBuffer<double> weightScale;
  std::mutex lock;
  CrossbarScratch scratch;
};

// Samples per GPU chunk: bounds the digit planes (k x passes*cycles*chunk floats) to ~256 MB.
size_t gpuChunk(const NaxCudaCrossbarShape& s, int passes, size_t batch) {
  const size_t perSample = std::max<size_t>(1, s.k * passes * s.cycles + s.width * passes * s.cycles);
  return std::max<size_t>(1, std::min(batch, (size_t(64) << 20) / perSample));
}

// NAX_CUDA_TRACE=1: each crossbar run prints its phases (upload, kernels, download; CUDA
// events) to stderr, to see where a run's time goes without a profiler.
struct PhaseTrace {
  bool on = [] {
    const char* v = std::getenv("NAX_CUDA_TRACE");
    return v && *v && *v != '0';
  }();
  cudaEvent_t ev[8] = {};
  int n = 0;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  PhaseTrace() {
    if (on)
      for (auto& e : ev) cudaEventCreate(&e);
  }
  ~PhaseTrace() {
    if (on)
      for (auto& e : ev) cudaEventDestroy(e);
  }
  void mark() {
    if (on && n < 8) cudaEventRecord(ev[n++]);
  }
  void print(const char* what) {
    if (!on || n < 2) return;
    cudaEventSynchronize(ev[n - 1]);
    std::fprintf(stderr, "nax_cuda trace %s:", what);
    for (int i = 1; i < n; ++i) {
      float ms = 0;
      cudaEventElapsedTime(&ms, ev[i - 1], ev[i]);
      std::fprintf(stderr, " %.3f", ms);
    }
    std::fprintf(stderr, " ms (this call %.3f ms)\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e3);
  }
};

void runCrossbar(CrossbarHandle& h, const NaxCudaCrossbarRun& run, const float* inputs, float* out) {
  PhaseTrace trace;
  const NaxCudaCrossbarShape& s = h.shape;
  const size_t chunk = gpuChunk(s, run.passes, run.batch);
  const size_t mMax = run.passes * s.cycles * chunk;
  std::lock_guard<std::mutex> guard(h.lock);
  CrossbarScratch& w = h.scratch;
  w.dIn.resize(chunk * s.k);
  w.digits.resize(s.k * mMax);
  w.squares.resize(run.noise == 2 && s.dacBits > 1 ? s.k * mMax : 0);
  w.offset.resize(mMax);
  w.offsetCode.resize(mMax);
  w.cycleScale.resize(s.cycles);
  w.columnSum.resize(run.passes * chunk * s.width);
  w.dOut.resize(chunk * s.n);
  w.segmentScale.resize(s.segments);
  w.total.resize(run.passes * chunk * s.n);
  w.hasNegative.resize(chunk);
  DeviceBuffer<float>&dIn = w.dIn, &digits = w.digits, &squares = w.squares, &offset = w.offset,
                     &offsetCode = w.offsetCode, &cycleScale = w.cycleScale, &columnSum = w.columnSum, &dOut = w.dOut;
  DeviceBuffer<double>&segmentScale = w.segmentScale, &total = w.total;
  DeviceBuffer<char>& hasNegative = w.hasNegative;
  cycleScale.upload(run.cycleScale, s.cycles);
  segmentScale.upload(run.segmentScale, s.segments);
  for (size_t b0 = 0; b0 < run.batch; b0 += chunk) {
    const size_t count = std::min(chunk, run.batch - b0), m = run.passes * s.cycles * count;
    trace.mark();
    dIn.upload(inputs + b0 * s.k, count * s.k);
    trace.mark();
    buildDigitsKernel<<<blocksFor(s.k * count * run.passes, 256), 256>>>(dIn.ptr, s.k, count, run.passes, s.cycles,
                                                                         s.dacBits, run.inputLsb, run.xMax,
                                                                         h.levels.ptr, digits.ptr, m);
    checkLaunch("buildDigits");
    markNegativeKernel<<<static_cast<unsigned>(count), 128>>>(dIn.ptr, s.k, hasNegative.ptr);
    checkLaunch("markNegative");
    const float* sq = nullptr;
    if (run.noise == 2) {
      if (s.dacBits > 1) {  // a 1-bit DAC's digits are their own squares (as the CPU path)
        squareKernel<<<blocksFor(s.k * m, 256), 256>>>(digits.ptr, s.k * m, squares.ptr);
        checkLaunch("square");
        sq = squares.ptr;
      } else {
        sq = digits.ptr;
      }
    }
    check(cudaMemset(total.ptr, 0, run.passes * count * s.n * sizeof(double)), "cudaMemset");
    for (size_t t = 0; t < s.rowTiles; ++t) {
      const size_t tileRows = std::min(s.rows, s.k - t * s.rows);
      const float* tileDigits = digits.ptr + t * s.rows * m;
      if (run.perDigit > 0) {
        offsetsKernel<<<blocksFor(m, 256), 256>>>(tileDigits, m, tileRows, run.perDigit, run.unitStep, run.invStep,
                                                  offset.ptr, offsetCode.ptr);
        checkLaunch("offsets");
      }
      check(cudaMemset(columnSum.ptr, 0, run.passes * count * s.width * sizeof(float)), "cudaMemset");
      TileRun tr{tileDigits, sq ? sq + t * s.rows * m : nullptr, h.effective.ptr + t * s.rows * s.width,
                 run.noise == 2 ? h.noiseSquares.ptr + t * s.rows * s.width : nullptr, m, s.width, tileRows, s.cycles,
                 count, static_cast<int>(t), run.noise, run.sigma, run.noiseSeed, run.sampleBase + b0, run.fma,
                 run.unitStep, run.perDigit > 0, run.invStep, run.lo, run.hi, offset.ptr, offsetCode.ptr,
                 cycleScale.ptr, columnSum.ptr};
      const dim3 grid(blocksFor(s.width, kTile), blocksFor(m, kTile)), block(16, 16);
      if (run.noise == 0) crossbarTileKernel<0><<<grid, block>>>(tr);
      else if (run.noise == 1) crossbarTileKernel<1><<<grid, block>>>(tr);
      else crossbarTileKernel<2><<<grid, block>>>(tr);
      checkLaunch("crossbarTile");
      reduceColumnsKernel<<<blocksFor(run.passes * count * s.n, 256), 256>>>(
          columnSum.ptr, segmentScale.ptr, s.segments, s.n, s.cols, s.width, count, run.passes, hasNegative.ptr,
          run.fma, total.ptr);
      checkLaunch("reduceColumns");
    }
    writeOutputsKernel<<<blocksFor(count * s.n, 256), 256>>>(total.ptr, count, s.n, run.passes, run.inputLsb,
                                                             h.weightScale.ptr, dOut.ptr);
    checkLaunch("writeOutputs");
    trace.mark();
    dOut.download(out + b0 * s.n, count * s.n);
    trace.mark();
  }
  check(cudaDeviceSynchronize(), "crossbar run");
  trace.print("upload, kernels, download");
}

// ---------------------------------------------------------------- training convolutions

// C(m, n) (+)= sum_k A(m, k) B(k, n) over k in [kBegin, kEnd), one 64 x 64 tile per block.
template <typename T, typename ALoad, typename BLoad, typename Store>
__global__ void __launch_bounds__(256) gemmKernel(size_t M, size_t N, size_t kBegin, size_t kEnd, ALoad A, BLoad B,
                                                  Store store) {
  __shared__ T sA[kSlab][kTile];
  __shared__ T sB[kSlab][kTile];
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
  const size_t m0 = blockIdx.y * static_cast<size_t>(kTile), n0 = blockIdx.x * static_cast<size_t>(kTile);
  const size_t split = blockIdx.z;
  const size_t kb = kBegin + split * (kEnd - kBegin) / gridDim.z, ke = kBegin + (split + 1) * (kEnd - kBegin) / gridDim.z;
  T acc[kPer][kPer] = {};
  for (size_t k0 = kb; k0 < ke; k0 += kSlab) {
    for (int e = tid; e < kSlab * kTile; e += 256) {
      const int sk = e / kTile, sj = e % kTile;
      const size_t kk = k0 + sk;
      sA[sk][sj] = kk < ke && m0 + sj < M ? A(m0 + sj, kk) : T(0);
      sB[sk][sj] = kk < ke && n0 + sj < N ? B(kk, n0 + sj) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int s = 0; s < kSlab; ++s) {
      T a[kPer], b[kPer];
#pragma unroll
      for (int u = 0; u < kPer; ++u) a[u] = sA[s][ty + 16 * u];
#pragma unroll
      for (int v = 0; v < kPer; ++v) b[v] = sB[s][tx + 16 * v];
#pragma unroll
      for (int u = 0; u < kPer; ++u)
#pragma unroll
        for (int v = 0; v < kPer; ++v) acc[u][v] += a[u] * b[v];
    }
    __syncthreads();
  }
#pragma unroll
  for (int u = 0; u < kPer; ++u)
#pragma unroll
    for (int v = 0; v < kPer; ++v) {
      const size_t m = m0 + ty + 16 * u, n = n0 + tx + 16 * v;
      if (m < M && n < N) store(split, m, n, acc[u][v]);
    }
}

struct ConvGeom {
  int cin, cout, k, stride, pad, n, h, w, oh, ow;
  size_t P, NP, plane, K;
  explicit ConvGeom(const NaxCudaConvShape& s)
      : cin(s.cin), cout(s.cout), k(s.kernel), stride(s.stride), pad(s.pad), n(s.n), h(s.h), w(s.w),
        oh((s.h + 2 * s.pad - s.kernel) / s.stride + 1), ow((s.w + 2 * s.pad - s.kernel) / s.stride + 1),
        P(static_cast<size_t>(oh) * ow), NP(P * s.n), plane(static_cast<size_t>(s.h) * s.w),
        K(static_cast<size_t>(s.cin) * s.kernel * s.kernel) {}
};

// The im2col element (patch row kk = (c, kh, kw), column col = (n, oy, ox)) read in place.
template <typename T>
struct PatchLoad {
  const T* x;
  ConvGeom g;
  __device__ T operator()(size_t kk, size_t col) const {
    const int c = static_cast<int>(kk / (g.k * g.k)), kh = static_cast<int>((kk / g.k) % g.k), kw = static_cast<int>(kk % g.k);
    const size_t img = col / g.P, p = col % g.P;
    const int oy = static_cast<int>(p / g.ow), ox = static_cast<int>(p % g.ow);
    const int iy = oy * g.stride - g.pad + kh, ix = ox * g.stride - g.pad + kw;
    if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return T(0);
    return x[(static_cast<size_t>(c) * g.n + img) * g.plane + static_cast<size_t>(iy) * g.w + ix];
  }
};
template <typename T>
struct PatchLoadT {  // transposed: (col, kk)
  PatchLoad<T> p;
  __device__ T operator()(size_t col, size_t kk) const { return p(kk, col); }
};
template <typename T>
struct RowMajor {  // a[m * ld + k]
  const T* a;
  size_t ld;
  __device__ T operator()(size_t m, size_t k) const { return a[m * ld + k]; }
};
// W^T for the data gradient: A(c, kk = (co, kh, kw)) = w[co][c][kh][kw].
template <typename T>
struct WeightTLoad {
  const T* w;
  ConvGeom g;
  __device__ T operator()(size_t c, size_t kk) const {
    const size_t kk2 = static_cast<size_t>(g.k) * g.k, co = kk / kk2, r = kk % kk2;
    return w[(co * g.cin + c) * kk2 + r];
  }
};
// dY gathered for the data gradient: B(kk = (co, kh, kw), col = (n, iy, ix)).
template <typename T>
struct GradOutLoad {
  const T* dy;
  ConvGeom g;
  __device__ T operator()(size_t kk, size_t col) const {
    const size_t kk2 = static_cast<size_t>(g.k) * g.k, co = kk / kk2, r = kk % kk2;
    const int kh = static_cast<int>(r / g.k), kw = static_cast<int>(r % g.k);
    const size_t img = col / g.plane, q = col % g.plane;
    const int iy = static_cast<int>(q / g.w), ix = static_cast<int>(q % g.w);
    const int ty = iy + g.pad - kh, tx = ix + g.pad - kw;
    if (ty < 0 || tx < 0 || ty % g.stride || tx % g.stride) return T(0);
    const int oy = ty / g.stride, ox = tx / g.stride;
    if (oy >= g.oh || ox >= g.ow) return T(0);
    return dy[(co * g.n + img) * g.P + static_cast<size_t>(oy) * g.ow + ox];
  }
};
template <typename T>
struct StoreBias {  // y = acc + bias
  T* y;
  const T* bias;
  size_t ld;
  __device__ void operator()(size_t, size_t m, size_t n, T v) const { y[m * ld + n] = bias ? v + bias[m] : v; }
};
template <typename T>
struct StoreAdd {  // y += acc
  T* y;
  size_t ld;
  __device__ void operator()(size_t, size_t m, size_t n, T v) const { y[m * ld + n] += v; }
};
template <typename T>
struct StorePartial {  // partial[split][m][n]
  T* partial;
  size_t ld, splitStride;
  __device__ void operator()(size_t split, size_t m, size_t n, T v) const { partial[split * splitStride + m * ld + n] = v; }
};

template <typename T>
__global__ void sumPartialsKernel(const T* __restrict partial, size_t splits, size_t count, T* __restrict out) {
  const size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= count) return;
  T s = partial[i];
  for (size_t c = 1; c < splits; ++c) s += partial[c * count + i];
  out[i] = s;
}

// db[c] = sum of row c of dy, in double: one block per channel, a fixed tree.
template <typename T>
__global__ void biasGradKernel(const T* __restrict dy, size_t NP, T* __restrict db) {
  __shared__ double part[256];
  const size_t c = blockIdx.x;
  double s = 0;
  for (size_t i = threadIdx.x; i < NP; i += 256) s += dy[c * NP + i];
  part[threadIdx.x] = s;
  __syncthreads();
  for (int w = 128; w > 0; w >>= 1) {
    if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) db[c] = static_cast<T>(part[0]);
}

template <typename T, typename ALoad, typename BLoad, typename Store>
void launchGemm(size_t M, size_t N, size_t K, unsigned splits, ALoad a, BLoad b, Store s) {
  const dim3 grid(blocksFor(N, kTile), blocksFor(M, kTile), splits), block(16, 16);
  gemmKernel<T><<<grid, block>>>(M, N, 0, K, a, b, s);
  checkLaunch("conv gemm");
}

void checkShape(const NaxCudaConvShape& s) {
  if (s.cin < 1 || s.cout < 1 || s.kernel < 1 || s.stride < 1 || s.pad < 0 || s.n < 1 || s.h < 1 || s.w < 1 ||
      s.h + 2 * s.pad < s.kernel || s.w + 2 * s.pad < s.kernel)
    throw CudaError{"invalid conv shape"};
}

// Device buffers of the training convolutions, grown only and shared by every call of one
// element type (a training step calls them per layer; a cudaMalloc/cudaFree pair per tensor
// per call cost more than the GEMMs). Calls are serialised on its mutex. Never freed: it lives
// as long as the process, and freeing after the CUDA runtime has shut down would fail.
template <typename T>
struct ConvWorkspace {
  std::mutex lock;
  DeviceBuffer<T> x, w, bias, y, dy, dx, dw, partial;
  static ConvWorkspace& get() {
    static ConvWorkspace* one = new ConvWorkspace;
    return *one;
  }
};

template <typename T>
void convForward(const NaxCudaConvShape& s, const T* x, const T* w, const T* bias, T* y) {
  checkShape(s);
  const ConvGeom g(s);
  const size_t xCount = static_cast<size_t>(s.cin) * s.n * g.plane, yCount = static_cast<size_t>(s.cout) * g.NP;
  ConvWorkspace<T>& ws = ConvWorkspace<T>::get();
  std::lock_guard<std::mutex> guard(ws.lock);
  ws.x.resize(xCount);
  ws.w.resize(g.K * s.cout);
  ws.bias.resize(bias ? s.cout : 0);
  ws.y.resize(yCount);
  DeviceBuffer<T>&dx = ws.x, &dw = ws.w, &db = ws.bias, &dy = ws.y;
  dx.upload(x, xCount);
  dw.upload(w, g.K * s.cout);
  if (bias) db.upload(bias, s.cout);
  launchGemm<T>(s.cout, g.NP, g.K, 1, RowMajor<T>{dw.ptr, g.K}, PatchLoad<T>{dx.ptr, g},
                StoreBias<T>{dy.ptr, bias ? db.ptr : nullptr, g.NP});
  dy.download(y, yCount);
}

template <typename T>
void convBackward(const NaxCudaConvShape& s, const T* x, const T* w, const T* dyHost, T* dxHost, T* dwHost, T* dbHost) {
  checkShape(s);
  const ConvGeom g(s);
  const size_t xCount = static_cast<size_t>(s.cin) * s.n * g.plane, yCount = static_cast<size_t>(s.cout) * g.NP;
  const size_t wCount = g.K * s.cout;
  ConvWorkspace<T>& ws = ConvWorkspace<T>::get();
  std::lock_guard<std::mutex> guard(ws.lock);
  ws.x.resize(xCount);
  ws.w.resize(wCount);
  ws.dy.resize(yCount);
  ws.dx.resize(dxHost ? xCount : 0);
  ws.dw.resize(wCount);
  ws.bias.resize(dbHost ? s.cout : 0);
  DeviceBuffer<T>&dX = ws.x, &dW = ws.w, &dY = ws.dy, &dDx = ws.dx, &dDw = ws.dw, &dDb = ws.bias;
  dX.upload(x, xCount);
  dW.upload(w, wCount);
  dY.upload(dyHost, yCount);
  // Weight gradient: reduction over N*P split into a fixed number of chunks (shape-only), each
  // chunk's partial written by its own blocks, then summed in chunk order.
  // About 512 reduction columns per chunk, at most 1024 chunks: enough blocks to fill the GPU
  // when cout and the patch are small (16 x 144 at ResNet-20's first stage is 3 output tiles;
  // at NP / 4096 chunks that gemm ran 96 blocks on 132 SMs, 1.17 ms on the H200).
  const unsigned splits = static_cast<unsigned>(std::min<size_t>(1024, std::max<size_t>(1, g.NP / 512)));
  ws.partial.resize(static_cast<size_t>(splits) * wCount);
  DeviceBuffer<T>& partial = ws.partial;
  launchGemm<T>(s.cout, g.K, g.NP, splits, RowMajor<T>{dY.ptr, g.NP}, PatchLoadT<T>{PatchLoad<T>{dX.ptr, g}},
                StorePartial<T>{partial.ptr, g.K, wCount});
  sumPartialsKernel<T><<<blocksFor(wCount, 256), 256>>>(partial.ptr, splits, wCount, dDw.ptr);
  checkLaunch("sumPartials");
  dDw.download(dwHost, wCount);
  if (dbHost) {
    biasGradKernel<T><<<s.cout, 256>>>(dY.ptr, g.NP, dDb.ptr);
    checkLaunch("biasGrad");
    dDb.download(dbHost, s.cout);
  }
  if (dxHost) {
    dDx.upload(dxHost, xCount);  // dx accumulates
    const size_t kk = static_cast<size_t>(s.cout) * s.kernel * s.kernel;
    launchGemm<T>(s.cin, static_cast<size_t>(s.n) * g.plane, kk, 1, WeightTLoad<T>{dW.ptr, g},
                  GradOutLoad<T>{dY.ptr, g}, StoreAdd<T>{dDx.ptr, static_cast<size_t>(s.n) * g.plane});
    dDx.download(dxHost, xCount);
  }
  check(cudaDeviceSynchronize(), "conv backward");
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int nax_cuda_abi_version(void) { return NAX_CUDA_ABI_VERSION; }

__attribute__((visibility("default"))) int nax_cuda_probe(NaxCudaDeviceInfo* info, char* err, size_t errLen) {
  std::memset(info, 0, sizeof(*info));
  cudaRuntimeGetVersion(&info->runtimeVersion);
  cudaDriverGetVersion(&info->driverVersion);
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status == cudaErrorInsufficientDriver && info->driverVersion == 0)
    return fail("no NVIDIA driver (libcuda) on this machine", err, errLen);
  if (status != cudaSuccess) return fail(cudaGetErrorString(status), err, errLen);
  if (count == 0) return fail("no CUDA device", err, errLen);
  info->deviceCount = count;
  cudaDeviceProp prop;
  const cudaError_t p = cudaGetDeviceProperties(&prop, 0);
  if (p != cudaSuccess) return fail(cudaGetErrorString(p), err, errLen);
  std::strncpy(info->name, prop.name, sizeof(info->name) - 1);
  info->computeMajor = prop.major;
  info->computeMinor = prop.minor;
  info->memoryBytes = prop.totalGlobalMem;
  return 0;
}

__attribute__((visibility("default"))) int nax_cuda_crossbar_create(const NaxCudaCrossbarShape* shape,
                                                                    const float* effective, const float* noiseSquares,
                                                                    const float* digitLevels,
                                                                    const double* weightScale, void** handle,
                                                                    char* err, size_t errLen) {
  *handle = nullptr;
  return guarded(err, errLen, [&] {
    auto h = std::make_unique<CrossbarHandle>();
    h->shape = *shape;
    const size_t eCount = shape->rowTiles * shape->rows * shape->width;
    h->effective.resize(eCount);
    h->effective.upload(effective, eCount);
    if (shape->hasNoiseSquares) {
      h->noiseSquares.resize(eCount);
      h->noiseSquares.upload(noiseSquares, eCount);
    }
    const size_t levels = size_t(1) << shape->dacBits;
    h->levels.resize(levels);
    h->levels.upload(digitLevels, levels);
    h->weightScale.resize(shape->n);
    h->weightScale.upload(weightScale, shape->n);
    *handle = h.release();
  });
}

__attribute__((visibility("default"))) void nax_cuda_crossbar_destroy(void* handle) {
  delete static_cast<CrossbarHandle*>(handle);
}

__attribute__((visibility("default"))) int nax_cuda_crossbar_run(void* handle, const NaxCudaCrossbarRun* run,
                                                                 const float* inputs, float* out, char* err,
                                                                 size_t errLen) {
  return guarded(err, errLen, [&] { runCrossbar(*static_cast<CrossbarHandle*>(handle), *run, inputs, out); });
}

__attribute__((visibility("default"))) int nax_cuda_conv_forward_f32(const NaxCudaConvShape* s, const float* x,
                                                                     const float* w, const float* bias, float* y,
                                                                     char* err, size_t errLen) {
  return guarded(err, errLen, [&] { convForward<float>(*s, x, w, bias, y); });
}
__attribute__((visibility("default"))) int nax_cuda_conv_forward_f64(const NaxCudaConvShape* s, const double* x,
                                                                     const double* w, const double* bias, double* y,
                                                                     char* err, size_t errLen) {
  return guarded(err, errLen, [&] { convForward<double>(*s, x, w, bias, y); });
}
__attribute__((visibility("default"))) int nax_cuda_conv_backward_f32(const NaxCudaConvShape* s, const float* x,
                                                                      const float* w, const float* dy, float* dx,
                                                                      float* dw, float* db, char* err, size_t errLen) {
  return guarded(err, errLen, [&] { convBackward<float>(*s, x, w, dy, dx, dw, db); });
}
__attribute__((visibility("default"))) int nax_cuda_conv_backward_f64(const NaxCudaConvShape* s, const double* x,
                                                                      const double* w, const double* dy, double* dx,
                                                                      double* dw, double* db, char* err,
                                                                      size_t errLen) {
  return guarded(err, errLen, [&] { convBackward<double>(*s, x, w, dy, dx, dw, db); });
}

}  // extern "C"
