//! The OpenAPI document's frame; the paths come from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sellstream API",
        description = "The REST API of sellstream, a live-commerce platform. Errors answer \
            `{\"error\":{\"code\",\"message\"}}`; lists answer `{items,page,per_page,total}`. \
            Money is integer fen; times are RFC 3339 in UTC. See docs/api.md.",
    ),
    modifiers(&Security),
    security(("cookie" = []), ("bearer" = [])),
    tags(
        (name = "auth", description = "Sign in, sign out, register customers"),
        (name = "staff", description = "Staff accounts and roles (admin)"),
        (name = "brand", description = "The deployment's brand settings and channels"),
        (name = "products", description = "Products, SKUs and categories"),
        (name = "orders", description = "Checkout preview, orders (idempotent placing, the customer's and the order desk's moves, export), delivery addresses"),
        (name = "flash", description = "Flash sales (秒杀): launch, figures, end; buy with POST /orders and flash_sale_id"),
        (name = "payments", description = "Provider callbacks and the sandbox provider's pay page"),
        (name = "promotions", description = "Coupons (issue, claim, offer in a room) and 满减 campaigns"),
        (name = "members", description = "Points, membership tiers and the selling rules"),
        (name = "sessions", description = "Live sessions, their states and shopping bags"),
        (name = "public", description = "What viewers see without signing in"),
        (name = "analytics", description = "Pages' event batches; the live dashboard, post-live review (JSON, CSV, XLSX), session list and trends"),
        (name = "moderation", description = "The banned-word list chat is checked against"),
        (name = "platforms", description = "The platform-choice assistant: profiles with sources, a ranking explained line by line, the mix"),
        (name = "hosts", description = "Host recruitment: candidates, three rounds of scored interviews, decisions, hiring"),
        (name = "calendar", description = "The content calendar across channels: conflicts, moving sessions, planned units, content sheets, iCalendar and XLSX"),
        (name = "scripts", description = "Run-of-show scripts: versions and their diff, templates, pasted scripts split into segments, the live run of segments, keyword auto-replies"),
        (name = "compliance", description = "The advertising-law (广告法) check of scripts, product copy, announcements and coupons, and its rules"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
