// Shared N-API glue: registration of binding files, per-environment state,
// argument checks that throw NaxError with a stable code, typed-array views,
// and a promise worker that keeps its JS inputs alive and never lets a C++
// exception escape.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace naxb {

// ---- registration: each binding .cc file adds its exports with NAX_EXPORTS.
using InitFn = void (*)(Napi::Env, Napi::Object);
inline std::vector<InitFn>& registry() {
  static std::vector<InitFn> fns;
  return fns;
}
struct Registrar {
  explicit Registrar(InitFn fn) { registry().push_back(fn); }
};
#define NAX_CONCAT_INNER(a, b) a##b
#define NAX_CONCAT(a, b) NAX_CONCAT_INNER(a, b)
#define NAX_EXPORTS(fn) static ::naxb::Registrar NAX_CONCAT(naxRegistrar_, __LINE__)(fn)

// ---- per-environment state: one per JS environment that loads the addon
// (the main thread and each worker_thread), held as napi instance data and
// freed with the environment. Never a static: statics are shared by all.
struct AddonData {
  Napi::FunctionReference errorClass;     // lib/errors.ts NaxError (setErrorClass)
  Napi::FunctionReference crossbarLayer;  // the NativeCrossbarLayer class
};
inline AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// ---- errors
// An instance of the project's NaxError (new NaxError(code, message)) once
// lib/native.ts has handed the class over; before that, a plain Error with
// the same name and code.
inline Napi::Error makeNaxError(Napi::Env env, const std::string& code, const std::string& message) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data && !data->errorClass.IsEmpty())
    return Napi::Error(env, data->errorClass.New({Napi::String::New(env, code), Napi::String::New(env, message)}));
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("name", Napi::String::New(env, "NaxError"));
  err.Value().Set("code", Napi::String::New(env, code));
  return err;
}
[[noreturn]] inline void throwNax(Napi::Env env, const std::string& code, const std::string& message) {
  throw makeNaxError(env, code, message);
}
inline std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return "number " + std::to_string(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) return "string";
  if (v.IsBoolean()) return "boolean";
  if (v.IsTypedArray()) return "typed array";
  if (v.IsArray()) return "array";
  if (v.IsFunction()) return "function";
  return "object";
}

// ---- argument readers
inline Napi::Object objectArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsObject())
    throwNax(info.Env(), nax::codes::kInvalidArgument,
             std::string("expected an object for ") + name + ", got " +
                 (info.Length() <= index ? std::string("nothing") : describe(info[index])));
  return info[index].As<Napi::Object>();
}

inline double numberField(Napi::Object obj, const char* key, bool required = true, double fallback = 0) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() && !required) return fallback;
  if (!v.IsNumber())
    throwNax(obj.Env(), nax::codes::kInvalidArgument,
             std::string("expected a finite number for ") + key + ", got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d))
    throwNax(obj.Env(), nax::codes::kInvalidArgument,
             std::string("expected a finite number for ") + key + ", got " + std::to_string(d));
  return d;
}

inline long long intField(Napi::Object obj, const char* key, long long lo, long long hi, bool required = true,
                          long long fallback = 0) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() && !required) return fallback;
  double d = numberField(obj, key);
  if (d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throwNax(obj.Env(), nax::codes::kOutOfRange,
             std::string("expected an integer in [") + std::to_string(lo) + ", " + std::to_string(hi) + "] for " +
                 key + ", got " + std::to_string(d));
  return static_cast<long long>(d);
}

// Required fields of one options object, for entries that receive fully
// resolved values (lib/ fills every default): a missing field is an error
// naming it with the object's path, e.g. "expected a number for
// config.adcBits, got undefined". Nothing is defaulted here.
class RequiredFields {
 public:
  RequiredFields(Napi::Object obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  double number(const char* key) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsNumber())
      throwNax(obj_.Env(), nax::codes::kInvalidArgument, "expected a number for " + name(key) + ", got " + describe(v));
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d))
      throwNax(obj_.Env(), nax::codes::kInvalidArgument,
               "expected a finite number for " + name(key) + ", got " + std::to_string(d));
    return d;
  }
  long long integer(const char* key, long long lo, long long hi) const {
    const double d = number(key);
    if (d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
      throwNax(obj_.Env(), nax::codes::kOutOfRange,
               "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] for " + name(key) +
                   ", got " + std::to_string(d));
    return static_cast<long long>(d);
  }
  // 0 or 1 (booleans crossing as numbers).
  bool flag(const char* key) const { return integer(key, 0, 1) == 1; }
  bool boolean(const char* key) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsBoolean())
      throwNax(obj_.Env(), nax::codes::kInvalidArgument, "expected a boolean for " + name(key) + ", got " + describe(v));
    return v.As<Napi::Boolean>().Value();
  }

 private:
  std::string name(const char* key) const { return path_.empty() ? std::string(key) : path_ + "." + key; }
  Napi::Object obj_;
  std::string path_;
};

template <typename TA>
inline TA typedArrayField(Napi::Object obj, const char* key, napi_typedarray_type type, const char* typeName,
                          size_t expectedLength /* 0 = any */) {
  Napi::Value v = obj.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throwNax(obj.Env(), nax::codes::kInvalidArgument,
             std::string("expected a ") + typeName + " for " + key + ", got " + describe(v));
  TA arr = v.As<TA>();
  if (expectedLength != 0 && arr.ElementLength() != expectedLength)
    throwNax(obj.Env(), nax::codes::kSizeMismatch,
             std::string("expected ") + key + " to have " + std::to_string(expectedLength) + " elements, got " +
                 std::to_string(arr.ElementLength()));
  return arr;
}
inline Napi::Float64Array float64Field(Napi::Object obj, const char* key, size_t expectedLength = 0) {
  return typedArrayField<Napi::Float64Array>(obj, key, napi_float64_array, "Float64Array", expectedLength);
}
inline Napi::Float32Array float32Field(Napi::Object obj, const char* key, size_t expectedLength = 0) {
  return typedArrayField<Napi::Float32Array>(obj, key, napi_float32_array, "Float32Array", expectedLength);
}

// Optional worker-thread count (0 = all cores), with the one bound every entry uses.
inline int threadsField(Napi::Object obj) { return static_cast<int>(intField(obj, "threads", 0, 1024, false, 0)); }

// An optional Float32Array (e.g. a bias): its data, or nullptr when the field is undefined.
inline const float* optionalFloat32Data(Napi::Object obj, const char* key, size_t expectedLength) {
  if (obj.Get(key).IsUndefined()) return nullptr;
  return float32Field(obj, key, expectedLength).Data();
}

// ---- pinned buffers
// Memory the addon allocates and lends to JS as an external ArrayBuffer (allocPinned), so
// that async work can read and write it in place: the block is owned by a shared_ptr that
// the registry holds until V8 finalizes the ArrayBuffer, and every call that uses it holds
// another until its work ends. Collection of the JS array therefore never frees memory a worker
// thread is using, and Node cannot detach an external ArrayBuffer (a transfer copies it and
// leaves the original attached; test/native/detach.test.ts). The executor allocates its intermediate
// tensors this way (lib/runtime/values.ts), which removes the per-call copies below (about a
// quarter of an ideal-mode ResNet-20 pass). One registry per process: an ArrayBuffer may be
// transferred to a worker_thread, whose calls then find the same block.
struct PinnedBlock {
  void* data = nullptr;
  std::size_t bytes = 0;     // what the ArrayBuffer spans
  std::size_t capacity = 0;  // what was allocated (a recycled block may be larger)
};

class PinnedRegistry {
 public:
  static PinnedRegistry& get() {
    static PinnedRegistry* r = new PinnedRegistry();  // never destroyed: finalizers may run at exit
    return *r;
  }
  // A zeroed block of `bytes` (at least 1), or nullptr when the allocation fails. Blocks of
  // collected arrays are kept (up to cacheLimit()) and handed out again, zeroed: a fresh
  // multi-megabyte allocation is an mmap whose first touch page-faults page by page, which
  // cost more than the copies this memory avoids (2-3 ms per 4 MB tensor on the 2-core VM).
  std::shared_ptr<PinnedBlock> allocate(std::size_t bytes) {
    const std::size_t want = bytes ? bytes : 1;
    void* data = nullptr;
    std::size_t capacity = want;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = cache_.lower_bound(want);
      if (it != cache_.end() && it->first <= 2 * want) {
        capacity = it->first;
        data = it->second;
        cachedBytes_ -= capacity;
        cache_.erase(it);
      }
    }
    if (data)
      std::memset(data, 0, want);
    else if (!(data = std::calloc(want, 1)))
      return nullptr;
    std::shared_ptr<PinnedBlock> block(new PinnedBlock{data, bytes, capacity}, [](PinnedBlock* b) {
      PinnedRegistry::get().recycle(b->data, b->capacity);
      delete b;
    });
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_[data] = block;
    return block;
  }
  // The ArrayBuffer was collected: the registry's reference goes (work in flight keeps its own).
  void release(const void* data) {
    std::shared_ptr<PinnedBlock> last;  // dropped after the lock is released (its deleter locks)
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(data);
    if (it == blocks_.end()) return;
    last = std::move(it->second);
    blocks_.erase(it);
  }
  // The block holding all of [p, p + bytes), or nullptr.
  std::shared_ptr<PinnedBlock> find(const void* p, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.upper_bound(p);
    if (it == blocks_.begin()) return nullptr;
    --it;
    const char* start = static_cast<const char*>(it->first);
    const char* q = static_cast<const char*>(p);
    if (std::less_equal<const char*>()(start, q) && std::less_equal<const char*>()(q + bytes, start + it->second->bytes))
      return it->second;
    return nullptr;
  }

 private:
  // NAX_PINNED_CACHE_MB (default 64; 0 turns the cache off): freed blocks kept for reuse.
  static std::size_t cacheLimit() {
    static const std::size_t limit = [] {
      const char* v = std::getenv("NAX_PINNED_CACHE_MB");
      char* end = nullptr;
      const long mb = v ? std::strtol(v, &end, 10) : -1;
      return (v && end != v && *end == '\0' && mb >= 0 && mb <= (1L << 20)) ? static_cast<std::size_t>(mb) << 20
                                                                          : std::size_t(64) << 20;
    }();
    return limit;
  }
  // No reference is left: keep the memory for reuse, or free it when the cache is full.
  void recycle(void* data, std::size_t capacity) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cachedBytes_ + capacity <= cacheLimit()) {
        cache_.emplace(capacity, data);
        cachedBytes_ += capacity;
        return;
      }
    }
    std::free(data);
  }
  std::mutex mutex_;
  std::map<const void*, std::shared_ptr<PinnedBlock>, std::less<const void*>> blocks_;
  std::multimap<std::size_t, void*> cache_;
  std::size_t cachedBytes_ = 0;
};

// An ArrayBuffer of `bytes` zeroed bytes backed by a pinned block; a plain (unpinned)
// ArrayBuffer where the runtime refuses external buffers (e.g. a V8 sandbox).
inline Napi::ArrayBuffer allocPinned(Napi::Env env, std::size_t bytes) {
  std::shared_ptr<PinnedBlock> block = PinnedRegistry::get().allocate(bytes);
  if (!block) throw std::bad_alloc();
  napi_value ab = nullptr;
  napi_status status = napi_create_external_arraybuffer(
      env, block->data, bytes,
      [](napi_env, void* data, void*) { PinnedRegistry::get().release(data); }, nullptr, &ab);
  if (status != napi_ok) {
    PinnedRegistry::get().release(block->data);
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return Napi::ArrayBuffer::New(env, bytes);
  }
  return Napi::ArrayBuffer(env, ab);
}

// ---- typed arrays that async work reads or writes
// A promise API's work runs on a libuv thread while JS goes on. JS can detach
// (transfer) an ArrayBuffer at any time - structuredClone(buf, {transfer}),
// postMessage to a worker - and the moved backing store is freed when its new
// owner is collected: reading it in place would then touch freed memory, and
// N-API has no way to pin a backing store. So async entries never read or
// write JS memory off the main thread: inputs are copied into memory the work
// owns when the call starts (on the main thread, where no detach can happen
// meanwhile), and in-place outputs are written to owned memory and copied into
// the JS array when the work finishes, back on the main thread. An array that
// was detached by then rejects the call with a NaxError. The copies cost one
// memcpy per array and call, small against most kernels they feed.
// The exception is pinned memory (allocPinned above): the work holds the block itself, so
// it reads and writes those arrays in place, with no copies. An output that overlaps a
// pinned input of the same call is still written to owned memory (a kernel may read its
// inputs after writing some outputs) unless the entry says its kernel allows the alias
// (an elementwise op reads and writes each index once).
class AsyncBuffers {
 public:
  // A private copy of `a` for the work to read (or `a` itself when pinned).
  template <typename T>
  const T* in(const Napi::TypedArrayOf<T>& a) {
    if (std::shared_ptr<PinnedBlock> block = pinned(a.Data(), a.ByteLength())) {
      if (!overlapsAny(outputs_, a.Data(), a.ByteLength())) {
        owned_.push_back(block);
        inputs_.push_back(Range{a.Data(), a.ByteLength()});
        return a.Data();
      }
    }
    auto copy = std::make_shared<std::vector<T>>(a.Data(), a.Data() + a.ElementLength());
    owned_.push_back(copy);
    return copy->data();
  }
  template <typename T>
  const T* in(const T* data, std::size_t n) {
    auto copy = std::make_shared<std::vector<T>>(data, data + n);
    owned_.push_back(copy);
    return copy->data();
  }
  // Owned memory the work writes for the JS array `a` (starting with a's values when
  // `readsOld`: an accumulating GEMM, an in-place activation, or any kernel that leaves
  // some elements alone, such as strided rows), copied whole into `a` when the work has
  // finished; `a` itself when pinned (and not aliasing a pinned input unless `aliasOk`).
  template <typename T>
  T* out(const Napi::TypedArrayOf<T>& a, const char* name, bool readsOld, bool aliasOk = false) {
    if (T* inPlace = pinnedOut(a, name, aliasOk)) return inPlace;
    auto buf = readsOld ? std::make_shared<std::vector<T>>(a.Data(), a.Data() + a.ElementLength())
                        : std::make_shared<std::vector<T>>(a.ElementLength());
    owned_.push_back(buf);
    backs_.push_back(Back{Napi::Persistent(static_cast<Napi::Object>(a)), name, [buf](Napi::Object target) -> bool {
                            Napi::TypedArrayOf<T> t = target.As<Napi::TypedArrayOf<T>>();
                            if (t.ArrayBuffer().IsDetached() || t.ElementLength() != buf->size()) return false;
                            std::copy(buf->begin(), buf->end(), t.Data());
                            return true;
                          }});
    return buf->data();
  }
  // Like out(), for kernels that write only some blocks of `a` (one group's channels of a
  // shared output, while other groups' calls run concurrently on the same array): only the
  // `count` blocks of `len` elements at offset + i*stride are copied in (when readsOld) and back,
  // so concurrent calls on disjoint blocks never overwrite each other's results. Pinned: in
  // place (the blocks are disjoint, so concurrent calls still do not touch each other's).
  template <typename T>
  T* outBlocks(const Napi::TypedArrayOf<T>& a, const char* name, std::size_t offset, std::size_t len,
               std::size_t stride, std::size_t count, bool readsOld) {
    if (T* inPlace = pinnedOut(a, name, false)) return inPlace;
    const std::size_t n = a.ElementLength();
    auto buf = std::make_shared<std::vector<T>>(n);
    auto inside = [=](std::size_t i) { return offset + i * stride + len <= n; };
    if (readsOld)
      for (std::size_t i = 0; i < count && inside(i); ++i)
        std::copy(a.Data() + offset + i * stride, a.Data() + offset + i * stride + len, buf->data() + offset + i * stride);
    owned_.push_back(buf);
    backs_.push_back(Back{Napi::Persistent(static_cast<Napi::Object>(a)), name, [=](Napi::Object target) -> bool {
                            Napi::TypedArrayOf<T> t = target.As<Napi::TypedArrayOf<T>>();
                            if (t.ArrayBuffer().IsDetached() || t.ElementLength() != n) return false;
                            for (std::size_t i = 0; i < count && inside(i); ++i)
                              std::copy(buf->data() + offset + i * stride, buf->data() + offset + i * stride + len,
                                        t.Data() + offset + i * stride);
                            return true;
                          }});
    return buf->data();
  }
  // Main thread, after the work: copies every output back. Returns the name of an
  // output that was detached meanwhile (its result is dropped), or nullptr.
  const char* copyBack() {
    for (auto& b : backs_)
      if (!b.copy(b.target.Value())) return b.name;
    return nullptr;
  }

 private:
  struct Back {
    Napi::ObjectReference target;
    const char* name;
    std::function<bool(Napi::Object)> copy;
  };
  struct Range {
    const void* p;
    std::size_t bytes;
    bool overlaps(const void* q, std::size_t n) const {
      const char* a = static_cast<const char*>(p);
      const char* b = static_cast<const char*>(q);
      return std::less<const char*>()(a, b + n) && std::less<const char*>()(b, a + bytes);
    }
  };
  static std::shared_ptr<PinnedBlock> pinned(const void* p, std::size_t bytes) {
    if (!p || bytes == 0) return nullptr;
    return PinnedRegistry::get().find(p, bytes);
  }
  static bool overlapsAny(const std::vector<Range>& ranges, const void* p, std::size_t n) {
    for (const Range& r : ranges)
      if (r.overlaps(p, n)) return true;
    return false;
  }
  template <typename T>
  T* pinnedOut(const Napi::TypedArrayOf<T>& a, const char* name, bool aliasOk) {
    std::shared_ptr<PinnedBlock> block = pinned(a.Data(), a.ByteLength());
    if (!block) return nullptr;
    if (!aliasOk && overlapsAny(inputs_, a.Data(), a.ByteLength())) return nullptr;
    owned_.push_back(block);
    outputs_.push_back(Range{a.Data(), a.ByteLength()});
    // Written in place; a detach meanwhile still rejects the call, as for copied outputs.
    backs_.push_back(Back{Napi::Persistent(static_cast<Napi::Object>(a)), name, [](Napi::Object target) -> bool {
                            return !target.As<Napi::TypedArrayOf<T>>().ArrayBuffer().IsDetached();
                          }});
    return const_cast<T*>(a.Data());
  }
  std::vector<std::shared_ptr<void>> owned_;
  std::vector<Back> backs_;
  std::vector<Range> inputs_, outputs_;
};

// ---- promise worker
// execute() runs on a libuv worker thread and must not touch JS. resolve()
// runs on the main thread and builds the result. `keepAlive` holds the JS
// objects (typed arrays, wrapped objects) whose memory execute() reads.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using ExecuteFn = std::function<void()>;
  using ResolveFn = std::function<Napi::Value(Napi::Env)>;

  // onSettled runs on the main thread right before the promise settles (either way): the place
  // to clear a "call in flight" flag, so synchronous code after the call always sees it set.
  static Napi::Promise start(Napi::Env env, ExecuteFn execute, ResolveFn resolve,
                             std::vector<Napi::Object> keepAlive = {},
                             std::shared_ptr<AsyncBuffers> buffers = nullptr,
                             std::function<void()> onSettled = nullptr) {
    auto* w = new PromiseWorker(env, std::move(execute), std::move(resolve), keepAlive);
    w->buffers_ = std::move(buffers);
    w->onSettled_ = std::move(onSettled);
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

 protected:
  void Execute() override {
    try {
      execute_();
    } catch (const nax::Error& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = nax::codes::kMemory;
      SetError("out of memory (a native allocation failed): use smaller arrays or batches");
    } catch (const std::exception& e) {
      code_ = nax::codes::kInternal;
      SetError(e.what());
    } catch (...) {
      code_ = nax::codes::kInternal;
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (onSettled_) onSettled_();
    if (buffers_) {
      if (const char* detached = buffers_->copyBack()) {
        deferred_.Reject(makeNaxError(env, nax::codes::kInvalidArgument,
                                      std::string("expected ") + detached +
                                          " to stay attached while the native call ran, but its ArrayBuffer was "
                                          "transferred (detached); its result is dropped")
                             .Value());
        return;
      }
    }
    try {
      deferred_.Resolve(resolve_ ? resolve_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    if (onSettled_) onSettled_();
    deferred_.Reject(makeNaxError(Env(), code_, e.Message()).Value());
  }

 private:
  PromiseWorker(Napi::Env env, ExecuteFn execute, ResolveFn resolve, const std::vector<Napi::Object>& keepAlive)
      : Napi::AsyncWorker(env, "nax-native"),
        deferred_(Napi::Promise::Deferred::New(env)),
        execute_(std::move(execute)),
        resolve_(std::move(resolve)) {
    for (const auto& o : keepAlive) refs_.push_back(Napi::Persistent(o));
  }
  Napi::Promise::Deferred deferred_;
  ExecuteFn execute_;
  ResolveFn resolve_;
  std::vector<Napi::ObjectReference> refs_;
  std::shared_ptr<AsyncBuffers> buffers_;
  std::function<void()> onSettled_;
  std::string code_ = nax::codes::kInternal;
};

// Runs fn, turning core errors into NaxError on the JS side (for sync entries).
template <typename Fn>
auto guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const nax::Error& e) {
    throwNax(env, e.code(), e.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throwNax(env, nax::codes::kInternal, e.what());
  }
}

}  // namespace naxb
