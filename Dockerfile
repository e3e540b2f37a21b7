# The pipeline service image.
#
#   docker build -t pipeline .
#   docker run --read-only --tmpfs /tmp -p 8080:8080 -p 9464:9464 -v pipeline-data:/var/lib/pipeline pipeline
#
# Without arguments it runs the embedded default topology; pass `run --config /etc/pipeline/pipeline.yaml` and mount
# a config there for anything else (docker-compose.observability.yml and deploy/k8s do).

# ---- build: restore from the project files alone, so that layer is reused until a project file or a package
# version changes, not on every source edit.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Telemetry/Telemetry.csproj src/Telemetry/
COPY src/Pipeline/Pipeline.csproj src/Pipeline/
# ReadyToRun and a self-contained publish compile for one architecture: the one being built (BuildKit sets TARGETARCH;
# `-a amd64` means x64). Restore takes the same properties as publish, which must match them.
ARG TARGETARCH=amd64
RUN dotnet restore src/Pipeline/Pipeline.csproj -a "$TARGETARCH" -p:SelfContained=true -p:PublishReadyToRun=true -p:PublishTrimmed=true
COPY src/ src/
# ReadyToRun: the assemblies carry native code, so start-up does not wait for the JIT and the first events do not run
# through unoptimized code. Measured (docs/performance.md): 0.23 instead of 0.39 CPU-s from start to exit on empty
# input, and less CPU per event over a million lines.
# Self-contained and trimmed (TrimMode=partial, set in Pipeline.csproj): the .NET and ASP.NET Core libraries lose what
# the service never calls, so fewer and smaller pages are mapped. Measured: idle RSS 75 -> 64 MiB, peak RSS over a
# million events 86-89 -> 74-78 MiB, the same CPU per event and start-up; /app is 103 MB instead of 73 MB plus the
# 106 MB shared runtime of the aspnet image.
RUN dotnet publish src/Pipeline/Pipeline.csproj --configuration Release --no-restore -a "$TARGETARCH" --self-contained true \
    -p:PublishReadyToRun=true -p:PublishTrimmed=true --output /app

# ---- runtime: the publish carries its own (trimmed) runtime, so the base is runtime-deps: the native libraries .NET
# needs, no .NET runtime, no SDK. Not the chiseled variant: it has no shell, and the HEALTHCHECK below needs one (the
# image has neither curl nor wget). Kubernetes does not use HEALTHCHECK; it probes /healthz and /readyz over HTTP
# itself (deploy/k8s/daemonset.yaml).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS runtime

# Everything the pipeline writes (checkpoints, buffers, dead letters, file sinks) goes under /var/lib/pipeline, so
# the root filesystem can be mounted read-only.
#   DOTNET_EnableDiagnostics=0: the runtime would otherwise create its diagnostics IPC socket in /tmp. Set it to 1,
#     with a writable /tmp, to attach dotnet-counters or dotnet-trace.
#   PIPELINE_ADMIN_PORT is the port HEALTHCHECK asks; change it with the config's admin.address.
#   ASPNETCORE_HTTP_PORTS is emptied: the base image sets 8080, but the pipeline binds the addresses of its config
#     (ingest and admin) and Kestrel would warn about overriding the variable.
#   DOTNET_GCgen0size=0x400000: a 4 MiB gen0 budget instead of one sized from the CPU's cache. Measured on 1,000,000
#     CRI lines through file → kubernetes → blackhole: peak RSS 93 MiB instead of 99-107, for about a tenth more CPU
#     (docs/node-logs.md). Only an environment variable sets it: runtimeconfig.json has no knob for it.
ENV PIPELINE_DATA_DIR=/var/lib/pipeline \
    DOTNET_EnableDiagnostics=0 \
    DOTNET_GCgen0size=0x400000 \
    ASPNETCORE_HTTP_PORTS= \
    PIPELINE_ADMIN_PORT=9464

RUN mkdir -p /var/lib/pipeline /etc/pipeline \
 && chown "$APP_UID:$APP_UID" /var/lib/pipeline

COPY --from=build /app /app

# APP_UID (1654) is the unprivileged "app" user every .NET image ships.
USER $APP_UID
WORKDIR /var/lib/pipeline
VOLUME ["/var/lib/pipeline"]

# 8080: the http source (ingest). 9464: admin (/healthz, /readyz, /metrics, /topology).
EXPOSE 8080 9464

# bash's /dev/tcp speaks just enough HTTP/1.0 to ask /healthz on the admin port; no tool is added to the image.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PIPELINE_ADMIN_PORT} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/app/pipeline"]
CMD ["run"]
