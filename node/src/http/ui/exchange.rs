//! The alliance roster, and the exchange's health: each peer stream's progress and the
//! messages this node rejected.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use tongxin_schema::token::Role;

use super::{Base, NodeData, T, back, base, lang, page, refuse};
use crate::store::inbound::{self, InStream, Rejected};

#[derive(Template)]
#[template(path = "roster.html")]
struct RosterPage {
    t: T,
    base: Base,
    alliance: String,
    serial: u64,
    orgs: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct ExchangePage {
    t: T,
    base: Base,
    streams: Vec<InStream>,
    rejected: Vec<Rejected>,
    names: HashMap<String, String>,
}

impl ExchangePage {
    fn org_name<'a>(&'a self, id: &'a str) -> &'a str {
        super::name_of(&self.names, id)
    }
    fn when(&self, ms: &i64) -> String {
        super::activities::when(ms / 1000)
    }
}

pub async fn roster(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    let r = node.roster();
    let orgs = r
        .orgs()
        .iter()
        .map(|o| {
            (
                o.id.to_string(),
                o.name.to_string(),
                o.kind.to_string(),
                o.parent
                    .as_ref()
                    .and_then(|p| r.org(p))
                    .map(|p| p.name.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    page(
        RosterPage {
            t,
            base,
            alliance: r.doc().alliance.clone(),
            serial: r.serial(),
            orgs,
        },
        [cookie, clear],
    )
}

pub async fn exchange(
    req: HttpRequest,
    node: NodeData,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let a = require_sign_in!(req, node);
    let (t, cookie) = lang(&req, &q);
    if a.claims.role != Role::Admin {
        return refuse(&req, &node, "/offers", &t.t("admin_only"));
    }
    let (base, clear) = base(&req, &node, Some(a.claims.role));
    match node
        .store
        .read(|c| {
            Ok((
                inbound::all_streams(c)?,
                inbound::list_rejected(c, 200, None)?,
            ))
        })
        .await
    {
        Ok((streams, rejected)) => page(
            ExchangePage {
                t,
                base,
                streams,
                rejected,
                names: super::org_names(&node),
            },
            [cookie, clear],
        ),
        Err(e) => back(&node, "/offers", Err(e.into()), t),
    }
}
