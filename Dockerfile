# evrouter: build stage with Debian's -dev packages, runtime stage with only
# the shared libraries evrouterd and evrouter need.
#   docker build -t evrouter .      (or: docker-compose up --build)

FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libpqxx-dev libspdlog-dev libabsl-dev libgtest-dev libgmock-dev \
      libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Same configuration as scripts/build.sh, without the tests and the bench; installed into /out.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DEVROUTER_BUILD_TESTS=OFF -DEVROUTER_BUILD_BENCH=OFF -DCMAKE_INSTALL_PREFIX=/out \
 && cmake --build /build --parallel 2 \
 && cmake --install /build \
 && test -x /out/bin/evrouterd && test -x /out/bin/evrouter

FROM debian:12-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libpqxx-6.4 libpq5 \
      libspdlog1.10 libfmt9 libabsl20220623 libssl3 libcpp-httplib0.11 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin evrouter
COPY --from=build /out/bin/evrouterd /out/bin/evrouter /usr/local/bin/
USER evrouter
# All interfaces of the container. Plaintext there needs EVROUTER_ALLOW_PLAINTEXT
# (evrouterd logs a warning); in production set EVROUTER_TLS_CERT and
# EVROUTER_TLS_KEY to mounted PEM files and EVROUTER_ALLOW_PLAINTEXT=false.
ENV EVROUTER_LISTEN=0.0.0.0:50051 EVROUTER_HTTP_LISTEN=0.0.0.0:8080 \
    EVROUTER_ALLOW_PLAINTEXT=true
# gRPC; HTTP (/metrics, /api/v1/, the dashboard at /).
EXPOSE 50051 8080
ENTRYPOINT ["/usr/local/bin/evrouterd"]
