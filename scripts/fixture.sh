# Sourced by the benchmark scripts: the fixture HTTP server, nginx on
# 127.0.0.1 serving generated feeds with ETag/304 and gzip_static (so it is
# not the bottleneck: measured alone at 70-85 k req/s of a gzipped feed).
#
#   start_fixture WORK_DIR PORT    serves WORK_DIR/feeds; pid in WORK_DIR/nginx.pid
start_fixture() {
    local work=$1 port=$2
    cat > "$work/nginx.conf" <<CONF
daemon on; pid $work/nginx.pid; worker_processes 1; error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; keepalive_requests 100000;
  types { application/rss+xml rss; application/atom+xml atom; application/feed+json json; }
  server { listen 127.0.0.1:$port; root $work/feeds; gzip_static on; etag on; }
}
CONF
    nginx -c "$work/nginx.conf" -p "$work" -e "$work/nginx-error.log"
}
