# syntax=docker/dockerfile:1.7
# One Dockerfile for every wxim service; the build arg SERVICE picks which one (one image per service):
#   docker build --build-arg SERVICE=gateway-service -t wxim/gateway-service:dev .
# SERVICE is one of gateway-service, chat-service, history-service, auth-service. The build context is the repository
# root (see .dockerignore). Secrets are never part of the image: they are mounted or set at run time
# (deploy/README.md). The image runs as the non-root user 10001 and needs no writable path except /tmp.
# The code is Java 17 bytecode (built on JDK 17); the runtime is Java 25 for its AOT cache (stage 3), which about
# halves the start (docs/benchmarks.md section 16).

ARG SERVICE=gateway-service

# ---- 1. build the executable jar from source with Maven (tests run in CI, not here) ----
FROM maven:3.9-eclipse-temurin-17 AS build
ARG SERVICE
WORKDIR /src
COPY . .
RUN case "$SERVICE" in \
      gateway-service|chat-service|history-service|auth-service) ;; \
      *) echo "SERVICE must be gateway-service, chat-service, history-service or auth-service (got '$SERVICE')" >&2; exit 1;; \
    esac
# The cache mount keeps ~/.m2 between builds of the four images (BuildKit).
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests package -pl "$SERVICE" -am \
 && cp "$SERVICE/target/$SERVICE-0.1.0-SNAPSHOT-exec.jar" /app.jar

# ---- 2. split the jar into layers (dependencies change rarely, the application often) ----
# Without --launcher: a plain app.jar with its lib/ on the manifest's class path, which an AOT cache needs (java -jar).
FROM eclipse-temurin:25-jre AS layers
WORKDIR /layers
COPY --from=build /app.jar app.jar
RUN java -Djarmode=tools -jar app.jar extract --layers --destination extracted

# ---- 3. runtime: JRE only, non-root, with an AOT cache of the service's start ----
FROM eclipse-temurin:25-jre
ARG SERVICE
RUN groupadd --system --gid 10001 wxim \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin wxim
WORKDIR /app
COPY --from=layers /layers/extracted/dependencies/ ./
COPY --from=layers /layers/extracted/snapshot-dependencies/ ./
COPY --from=layers /layers/extracted/application/ ./
COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/wxim-healthcheck
LABEL org.opencontainers.image.title="wxim-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/wxim/wxim" \
      org.opencontainers.image.licenses="MIT"
ENV WXIM_SERVICE=${SERVICE} \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:InitialRAMPercentage=30 -XX:+ExitOnOutOfMemoryError -XX:+UseContainerSupport -Djava.io.tmpdir=/tmp -Dfile.encoding=UTF-8"
# The AOT cache (JDK 25: classes loaded and linked, method profiles) from a training run that builds the service's
# context and exits when it is refreshed (spring.context.exit=onRefresh), before anything connects: no Redis, MongoDB
# or secret is needed (auth's throwaway signing key exists only in this RUN's memory). Its log is shown only if it
# fails (it names MongoDB as unreachable: the drivers try in the background). If the cache does not fit the JVM at run
# time (other JVM options, another JDK build), java warns and starts without it. Native access: Netty's epoll transport.
RUN IM_AUTH_SIGNING_GENERATE_IF_MISSING=true java --enable-native-access=ALL-UNNAMED -XX:AOTCacheOutput=app.aot \
      -Dspring.context.exit=onRefresh -jar app.jar \
      > /tmp/aot-training.log 2>&1 || { tail -n 60 /tmp/aot-training.log; exit 1; } \
 && test -s app.aot && rm -f /tmp/aot-training.log
USER 10001:10001
# 8080-8083: HTTP of gateway/auth/history/chat; 9080-9083: actuator (probes, metrics), never routed publicly.
EXPOSE 8080 8081 8082 8083 9080 9081 9082 9083
# exec form: java is PID 1 and gets SIGTERM directly (graceful shutdown, the gateway's drain).
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-XX:AOTCache=app.aot", "-jar", "app.jar"]
