# userdb as a container image: one static binary on a distroless base.
#   docker build -t userdb .
# deploy/docker-compose.yml and deploy/kubernetes/ run it; docs/operations.md explains them.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/userdb ./cmd/userdb

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/userdb /usr/local/bin/userdb
USER nonroot:nonroot
# 8080: the public listener; 8081: /metrics, /healthz, /readyz for operators.
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/userdb"]
CMD ["serve"]
