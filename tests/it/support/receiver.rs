//! A fixture receiver on 127.0.0.1 for what Tributary sends: webhook
//! deliveries, hub content distributions and verifications, hub pings.
//! Records every request (method, path, query, headers, body) and answers
//! as told: a status for POSTs, and for a WebSub verification GET the
//! challenge echoed, a wrong answer, or an error status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    Echo,
    Wrong,
    Status(u16),
}

struct Behaviour {
    post_status: u16,
    verify: Verify,
}

pub struct Receiver {
    addr: std::net::SocketAddr,
    log: Arc<Mutex<Vec<Received>>>,
    behaviour: Arc<Mutex<Behaviour>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let behaviour = Arc::new(Mutex::new(Behaviour {
            post_status: 200,
            verify: Verify::Echo,
        }));
        let (l, b) = (log.clone(), behaviour.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        let server = HttpServer::new(move || {
            let (l, b) = (l.clone(), b.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (l, b) = (l.clone(), b.clone());
                async move { answer(&req, body, &l, &b) }
            }))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .disable_signals()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            addr,
            log,
            behaviour,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn answer_posts_with(&self, status: u16) {
        self.behaviour.lock().unwrap().post_status = status;
    }

    pub fn verify_with(&self, verify: Verify) {
        self.behaviour.lock().unwrap().verify = verify;
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    pub fn posts(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect()
    }

    /// Waits (up to `limit`) until `done` holds for what was received.
    pub async fn wait_until(
        &self,
        limit: Duration,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{what}: not within {limit:?}; received {got:#?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // The stop command is sent at once; its future only waits for it.
        drop(self.handle.stop(false));
    }
}

fn answer(
    req: &HttpRequest,
    body: web::Bytes,
    log: &Mutex<Vec<Received>>,
    behaviour: &Mutex<Behaviour>,
) -> HttpResponse {
    let query: HashMap<String, String> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    log.lock().unwrap().push(Received {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: query.clone(),
        headers,
        body: body.to_vec(),
    });
    let b = behaviour.lock().unwrap();
    if req.method() == actix_web::http::Method::GET {
        if let Some(challenge) = query.get("hub.challenge") {
            return match b.verify {
                Verify::Echo => HttpResponse::Ok().body(challenge.clone()),
                Verify::Wrong => HttpResponse::Ok().body("not the challenge"),
                Verify::Status(s) => {
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(s).expect("status"))
                        .finish()
                }
            };
        }
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(b.post_status).expect("status"))
        .finish()
}
