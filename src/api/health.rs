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

/// Ready when the database answers and every migration is applied.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match crate::db::is_migrated(&state.pool).await {
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
