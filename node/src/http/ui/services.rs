//! 服务登记 and 表现反馈 in the web UI: a member logs a service on `/me`; the community reviews
//! the logs and writes feedback on `/reports`, where the home also sees the feedback its
//! members received beside their reports.

use actix_web::{HttpRequest, web};

use super::activities::day_and_times;
use super::agreements::midnight;
use super::{Form, NodeData, admin_action, form_input};
use crate::domain::services::{self, NewFeedback, NewServiceLog, ServiceDecision};
use crate::http::api;
use crate::http::error::ApiError;

pub async fn log_mine(req: HttpRequest, node: NodeData, mut form: Form) -> actix_web::HttpResponse {
    super::members::member_action_to(req, node, "/me", |n, m| async move {
        day_and_times(&mut form, ("started_at", "ended_at"))?;
        let input: NewServiceLog = form_input(&form, &["started_at", "ended_at"], &[], &[])?;
        let id = api::uuid_path("member", &m.id)?;
        n.act(move |c, a| services::log(c, a, id, input)).await?;
        Ok(())
    })
    .await
}

pub async fn decide(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    form: Form,
) -> actix_web::HttpResponse {
    admin_action(req, node, "/reports", |n| async move {
        let home = api::org_path(&path.0)?;
        let id = api::uuid_path("service", &path.1)?;
        let input: ServiceDecision = form_input(&form, &[], &["approved"], &[])?;
        n.act(move |c, a| services::decide(c, a, &home, id, input))
            .await?;
        Ok(())
    })
    .await
}

pub async fn feedback(
    req: HttpRequest,
    node: NodeData,
    path: web::Path<(String, String)>,
    mut form: Form,
) -> actix_web::HttpResponse {
    admin_action(req, node, "/reports", |n| async move {
        let home = api::org_path(&path.0)?;
        let id = api::uuid_path("report", &path.1)?;
        // The form gives the first and the last day of the period (Beijing dates).
        if let Ok(fields) = form.0.as_mut() {
            let mut day = |k: &str| {
                fields
                    .remove(k)
                    .and_then(|v| v.into_iter().next())
                    .unwrap_or_default()
            };
            let (first, last) = (day("from"), day("to"));
            let starts = midnight("from", &first)?;
            let ends = midnight("to", &last)? + 86_400;
            if ends <= starts {
                return Err(ApiError::invalid("to", "must not be before the first day"));
            }
            fields.insert("period_starts_at".into(), vec![starts.to_string()]);
            fields.insert("period_ends_at".into(), vec![ends.to_string()]);
        }
        let input: NewFeedback =
            form_input(&form, &["period_starts_at", "period_ends_at"], &[], &[])?;
        n.act(move |c, a| services::send_feedback(c, a, &home, id, input))
            .await?;
        Ok(())
    })
    .await
}
