//! One-shot messages after a form ("saved", or what was wrong), carried to the next page in
//! a signed cookie. They used to travel as `?error=`/`?notice=` in the URL, so any link could
//! put text of its choosing on this node's pages; a message now shows only if this node
//! signed it.
//!
//! Built on the `cookie` crate's signed jar (HMAC-SHA256), which actix-web re-exports, rather
//! than on actix-web-flash-messages: that crate marks its cookie `Secure` without a way to
//! turn it off, so on a node served over plain HTTP (not loopback) browsers would drop every
//! message, and its middleware unwraps the store's result, so a message over its size limit
//! would panic the worker.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::state::SharedNode;

/// The signing key: random, made once per process (shared by every worker and every node in
/// it; each node's cookie has its own name). Not derived from the node's key: `Signer` does
/// not hand out its private key, and a flash lives for one redirect, so a restart between a
/// form and the page it returns to loses only that one message.
static KEY: LazyLock<Key> = LazyLock::new(Key::generate);

/// Longer messages are cut: a cookie holds about 4 KB, and 300 CJK characters are 900 bytes
/// before base64.
const MAX_CHARS: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Notice,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Flash {
    pub level: Level,
    pub text: String,
    /// The form field an error is about, shown next to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What the form held, so that its page shows it again after an error.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kept: BTreeMap<String, String>,
}

/// A form's fields are kept for its page again up to this many characters in all (a cookie
/// holds about 4 KB); a form holding more is shown again empty, with the error.
pub const MAX_KEPT_CHARS: usize = 600;

/// The messages' JSON at most: base64 makes 3,600 bytes of it, within the 4 KB a browser keeps
/// per cookie with the name and the signature.
const MAX_JSON_BYTES: usize = 2_700;

fn cookie_name(node: &SharedNode) -> String {
    format!("tongxin_flash_{}", node.cfg.org_id)
}

/// At most this many messages wait for one page (a page that only redirects passes its
/// messages on, e.g. an admin page refused to a member).
const MAX_MESSAGES: usize = 3;

impl Flash {
    pub fn new(level: Level, text: &str) -> Flash {
        Flash {
            level,
            text: text.chars().take(MAX_CHARS).collect(),
            field: None,
            kept: BTreeMap::new(),
        }
    }
}

/// Adds signed messages for the next page to a response (a redirect).
pub fn set(resp: &mut HttpResponse, node: &SharedNode, messages: &[Flash]) {
    let from = messages.len().saturating_sub(MAX_MESSAGES);
    let Ok(mut json) = serde_json::to_vec(&messages[from..]) else {
        return;
    };
    // Too big for a cookie once encoded and signed: the messages go without the form's values
    // (a browser drops an oversized cookie, and the message with it).
    if json.len() > MAX_JSON_BYTES {
        let bare: Vec<Flash> = messages[from..]
            .iter()
            .map(|f| Flash {
                level: f.level,
                text: f.text.clone(),
                field: f.field.clone(),
                kept: BTreeMap::new(),
            })
            .collect();
        let Ok(smaller) = serde_json::to_vec(&bare) else {
            return;
        };
        json = smaller;
    }
    let name = cookie_name(node);
    let mut jar = CookieJar::new();
    // base64: the text may hold `;`, quotes or any Unicode, none of which a cookie value may.
    jar.signed_mut(&KEY).add(
        Cookie::build(name.clone(), URL_SAFE_NO_PAD.encode(json))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .finish(),
    );
    if let Some(c) = jar.get(&name)
        && let Err(e) = resp.add_cookie(c)
    {
        tracing::error!(error = %e, "flash message not set");
    }
}

/// The messages this node signed for this page, and the cookie that removes them (a flash is
/// shown once). A cookie that does not verify is dropped without a word.
pub fn take(req: &HttpRequest, node: &SharedNode) -> (Vec<Flash>, Option<Cookie<'static>>) {
    let name = cookie_name(node);
    let Some(c) = req.cookie(&name) else {
        return (Vec::new(), None);
    };
    let mut jar = CookieJar::new();
    jar.add_original(c);
    let flash = jar
        .signed(&KEY)
        .get(&name)
        .and_then(|c| URL_SAFE_NO_PAD.decode(c.value()).ok())
        .and_then(|b| serde_json::from_slice::<Vec<Flash>>(&b).ok())
        .unwrap_or_default();
    let mut removal = Cookie::build(name, "").path("/").finish();
    removal.make_removal();
    (flash, Some(removal))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn sealed(name: &str, value: &str, key: &Key) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(key)
            .add(Cookie::new(name.to_owned(), value.to_owned()));
        jar.get(name).unwrap().value().to_owned()
    }

    fn opened(name: &str, value: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(name.to_owned(), value.to_owned()));
        jar.signed(&KEY).get(name).map(|c| c.value().to_owned())
    }

    #[test]
    fn only_what_this_process_signed_opens() {
        let v = URL_SAFE_NO_PAD.encode(r#"[{"level":"error","text":"错误; \"x\""}]"#);
        assert_eq!(
            opened("n", &sealed("n", &v, &KEY)).as_deref(),
            Some(v.as_str())
        );
        assert_eq!(opened("n", &sealed("n", &v, &Key::generate())), None);
        assert_eq!(opened("n", &v), None, "an unsigned value");
    }
}
