# Berth's server image: static binaries on Debian's slim base, run as a user that is
# not root. Build: docker build -t berth:0.1.0 .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/berth ./cmd/berth-shim

FROM debian:12-slim
RUN useradd --uid 65532 --user-group --home-dir /var/lib/berth --create-home berth
COPY --from=build /out/berth /out/berth-shim /usr/local/bin/
USER 65532:65532
WORKDIR /var/lib/berth
EXPOSE 8088
ENTRYPOINT ["/usr/local/bin/berth"]
CMD ["serve", "--listen", "0.0.0.0:8088", "--data-dir", "/var/lib/berth"]
