//! Liveness and readiness.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::AppState;
use super::error::problem;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Prometheus text exposition.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(prometheus_client::encoding::prometheus_text::CONTENT_TYPE)
        .body(crate::metrics::render(&state.pool).await)
}

/// How long readiness waits for the database. A load balancer's probe
/// must get an answer even when the database's packets are being dropped
/// (an unbounded wait would last the pool's whole acquire timeout).
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Ready when the database answers and every migration is applied.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let Ok(migrated) = tokio::time::timeout(READY_WAIT, crate::db::is_migrated(&state.pool)).await
    else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "database unreachable: no answer within {} s",
                READY_WAIT.as_secs()
            ),
            None,
        );
    };
    match migrated {
        Ok(true) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Ok(false) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "migrations are pending".into(),
            None,
        ),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}"),
            None,
        ),
    }
}
