#ifndef EVROUTER_SERVER_TRANSPORT_REFLECTION_SERVICE_H_
#define EVROUTER_SERVER_TRANSPORT_REFLECTION_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "server/transport/call_tracker.h"

namespace evrouter::transport {

inline constexpr char kReflectionV1Service[] =
    "grpc.reflection.v1.ServerReflection";
inline constexpr char kReflectionV1alphaService[] =
    "grpc.reflection.v1alpha.ServerReflection";

// gRPC server reflection (proto/grpc/reflection/), served as both
// grpc.reflection.v1 and grpc.reflection.v1alpha by one implementation, in
// place of gRPC's plugin (which cannot refuse a caller). Answers from the
// descriptors compiled into the binary (DescriptorPool::generated_pool()).
// Each stream answers one request at a time; a file's imports already sent on
// the stream are not sent again. A request that cannot be answered gets an
// error_response (NOT_FOUND, INVALID_ARGUMENT) and the stream goes on; one
// larger than 4 KiB ends the stream with INVALID_ARGUMENT. Thread-safe.
class ReflectionService {
 public:
  // Decides whether a stream's caller may use reflection: OK, or the status
  // the stream ends with (e.g. UNAUTHENTICATED). Runs on a gRPC thread when
  // the stream starts, before anything is read: it must not block.
  using Authenticator =
      std::function<grpc::Status(grpc::CallbackServerContext* context)>;

  // `services`: the fully qualified names list_services answers with (the
  // services registered on the server, these two included). Streams count
  // against `calls` (which must outlive the service) as long-lived calls.
  // An empty `authenticate` lets every caller in. The service must outlive
  // the server it is registered with.
  ReflectionService(std::vector<std::string> services, CallTracker* calls,
                    Authenticator authenticate = nullptr);
  ~ReflectionService();

  // The two gRPC services to register with the ServerBuilder; owned here.
  grpc::Service* v1();
  grpc::Service* v1alpha();

  // For shutdown, after calls->StartDrain(): every open stream ends
  // UNAVAILABLE once its response in flight is written.
  void EndStreams();

 private:
  // A stream that EndStreams can end.
  class Stream {
   public:
    virtual ~Stream() = default;
    virtual void End() = 0;
  };
  // The gRPC service and the stream of one protocol version (`Proto` names
  // the generated types of its package).
  template <typename Proto>
  class Handler;
  template <typename Proto>
  class Reactor;

  void Register(Stream* stream);
  void Forget(Stream* stream);

  const std::vector<std::string> services_;
  CallTracker* const calls_;
  const Authenticator authenticate_;
  std::unique_ptr<grpc::Service> v1_;
  std::unique_ptr<grpc::Service> v1alpha_;
  absl::Mutex mu_;
  absl::flat_hash_set<Stream*> open_ ABSL_GUARDED_BY(mu_);
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_REFLECTION_SERVICE_H_
