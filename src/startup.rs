//! The application: an HTTP server bound to a listener (port 0 in tests)
//! and, by role, the polling loop.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, middleware, web};
use futures_util::future::LocalBoxFuture;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::api::{self, AppState};
use crate::config::Config;
use crate::cursor::CursorKey;
use crate::ingest::Ingestor;
use crate::poller::{Holder, Poller};
use crate::publish::response_cache::{ResponseCache, follow_changes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Role {
    /// HTTP server and poller.
    #[default]
    All,
    /// HTTP server only.
    Web,
    /// Poller only.
    Poller,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] crate::ingest::fetch::FetchError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot set up the cursor key: {0}")]
    CursorKey(#[from] crate::cursor::CursorKeyError),
    #[error("cannot set up the delivery client: {0}")]
    Delivery(String),
}

pub struct Application {
    address: Option<SocketAddr>,
    server: Option<(ServerHandle, tokio::task::JoinHandle<std::io::Result<()>>)>,
    poller: Option<tokio::task::JoinHandle<()>>,
    listener: Option<tokio::task::JoinHandle<()>>,
    retention: Option<tokio::task::JoinHandle<()>>,
    /// The announcer and the deliverer (polling roles).
    realtime: Vec<tokio::task::JoinHandle<()>>,
    response_cache: Arc<ResponseCache>,
    stop: watch::Sender<bool>,
}

impl Application {
    /// Binds the listener and starts serving and/or polling.
    pub async fn start(
        config: Arc<Config>,
        pool: PgPool,
        role: Role,
    ) -> Result<Application, StartupError> {
        let (stop, stop_rx) = watch::channel(false);
        let ingestor = Ingestor::new(pool.clone(), &config.poller)?;
        let poller_for_api = Arc::new(Poller::new(ingestor.clone(), &config.poller));

        let response_cache = Arc::new(ResponseCache::new());
        // Every role serves HTTP: a poller answers only the probes and
        // /metrics, so that its container can report health and be scraped.
        let full_surface = role != Role::Poller;
        let cursor_key = CursorKey::load_or_create(&pool).await?;
        let listener_task = full_surface
            .then(|| tokio::spawn(follow_changes(pool.clone(), response_cache.clone())));
        crate::outbox::endpoints::sync_config(&pool, &config).await?;
        let hub = match (&config.websub.hub, full_surface) {
            (crate::config::HubSetting::Builtin, true) => Some(Arc::new(
                crate::websub::hub::Hub::new(pool.clone(), &config)
                    .map_err(|e| StartupError::Delivery(e.to_string()))?,
            )),
            _ => None,
        };
        let addr = config.server.listen;
        let listener =
            TcpListener::bind(addr).map_err(|source| StartupError::Bind { addr, source })?;
        let address = listener.local_addr().ok();
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            config: config.clone(),
            poller: poller_for_api,
            response_cache: response_cache.clone(),
            cursor_key: cursor_key.clone(),
            hub,
        });
        let http = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap_fn(|req, srv| {
                    // Preflights are answered here: routes know only their own methods.
                    if req.method() == actix_web::http::Method::OPTIONS {
                        let (http_req, _) = req.into_parts();
                        let response = api::preflight(&http_req);
                        let res = actix_web::dev::ServiceResponse::new(http_req, response);
                        return Box::pin(async move { Ok(res) }) as LocalBoxFuture<'static, _>;
                    }
                    // One span, one request id and one latency sample per
                    // request, by route pattern.
                    let started = std::time::Instant::now();
                    let method = req.method().clone();
                    let path = req.path().to_owned();
                    let request_id = api::request_id_for(req.headers());
                    let span = tracing::info_span!("request", method = %req.method(), path = %req.path(), request_id = %request_id);
                    let fut = actix_web::dev::Service::call(srv, req);
                    Box::pin(async move {
                        let scoped = api::error::REQUEST_ID.scope(request_id.clone(), fut);
                        let mut res = tracing::Instrument::instrument(scoped, span).await?;
                        api::cors_headers(&method, &path, res.headers_mut());
                        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&request_id) {
                            res.headers_mut().insert(actix_web::http::header::HeaderName::from_static("x-request-id"), v);
                        }
                        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
                        crate::metrics::record_request(&route, res.status().as_u16(), started.elapsed());
                        Ok(res.map_into_boxed_body())
                    })
                })
                .wrap(middleware::ErrorHandlers::new().default_handler(api::error::as_problem))
                .wrap(middleware::Compress::default())
                .wrap(middleware::Logger::new("%r %s %b %Dms").log_target("tributary::http"))
                .configure(move |cfg| {
                    if full_surface {
                        api::configure(cfg);
                        crate::web::configure(cfg);
                    } else {
                        api::configure_probes(cfg);
                    }
                })
                .default_service(web::to(api::not_found))
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind { addr, source })?
        .disable_signals()
        .shutdown_timeout(config.server.shutdown_timeout.as_secs().max(1))
        .run();
        let handle = http.handle();
        let server = Some((handle, tokio::spawn(http)));
        tracing::info!(address = ?address, "HTTP server listening");

        let retention = (role != Role::Web).then(|| {
            tokio::spawn(crate::retention::run(
                pool.clone(),
                config.retention.max_age_days,
                config.poller.story_window,
                stop_rx.clone(),
            ))
        });
        let mut realtime = Vec::new();
        if role != Role::Web {
            let queued = Arc::new(tokio::sync::Notify::new());
            let announcer = crate::announce::Announcer::new(
                pool.clone(),
                config.clone(),
                cursor_key.clone(),
                queued.clone(),
            );
            let deliverer = crate::outbox::deliverer::Deliverer::new(pool.clone(), &config, queued)
                .map_err(|e| StartupError::Delivery(e.to_string()))?;
            realtime.push(tokio::spawn(announcer.run(stop_rx.clone())));
            let subscriber =
                crate::websub::subscriber::Subscriber::new(pool.clone(), config.clone())
                    .map_err(|e| StartupError::Delivery(e.to_string()))?;
            realtime.push(tokio::spawn(subscriber.run(stop_rx.clone())));
            realtime.push(tokio::spawn(deliverer.run(stop_rx.clone())));
        }
        let poller = match role {
            Role::Web => None,
            Role::All | Role::Poller => {
                let holder = Holder::register(&pool).await?;
                let poller = Poller::new(ingestor, &config.poller).with_holder(holder);
                Some(tokio::spawn(
                    poller.run(stop_rx, config.server.shutdown_timeout),
                ))
            }
        };

        Ok(Application {
            address,
            server,
            poller,
            listener: listener_task,
            retention,
            realtime,
            response_cache,
            stop,
        })
    }

    /// The bound address (port 0 resolved), when serving HTTP.
    pub fn address(&self) -> Option<SocketAddr> {
        self.address
    }

    /// The rendered-feed cache (tests watch it to know a change has landed).
    pub fn response_cache(&self) -> Arc<ResponseCache> {
        self.response_cache.clone()
    }

    /// Stops claiming polls, lets in-flight ones finish, drains HTTP.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Some(p) = self.poller {
            let _ = p.await;
        }
        if let Some(r) = self.retention {
            let _ = r.await;
        }
        for task in self.realtime {
            let _ = task.await;
        }
        if let Some((handle, task)) = self.server {
            handle.stop(true).await;
            let _ = task.await;
        }
        if let Some(listener) = self.listener {
            listener.abort();
        }
    }
}
