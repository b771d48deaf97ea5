# Dosvid in a container: `docker build -t dosvid .` then
#   docker run -p 8080:8080 -v dosvid-data:/data dosvid            (SQLite in the volume)
#   docker run -p 8080:8080 -e DOSVID_DB=postgres://… dosvid       (PostgreSQL)
#   docker run -p 8080:8080 dosvid demo --listen 0.0.0.0:8080 --db sqlite:///data/demo.db
# With PostgreSQL beside it: compose.yaml.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p dosvid \
 && cp target/release/dosvid /usr/local/bin/dosvid

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data --create-home dosvid
COPY --from=build /usr/local/bin/dosvid /usr/local/bin/dosvid
USER dosvid
WORKDIR /data
VOLUME /data
ENV DOSVID_DB=sqlite:///data/dosvid.db \
    DOSVID_LISTEN=0.0.0.0:8080 \
    DOSVID_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["dosvid"]
CMD ["serve"]
