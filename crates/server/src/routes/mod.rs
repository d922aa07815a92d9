//! The `/api/v1` routes, one module per resource.

pub mod addresses;
pub mod analytics;
pub mod announce;
pub mod auth;
pub mod brand;
pub mod calendar;
pub mod categories;
pub mod competitors;
pub mod compliance;
pub mod evaluate;
pub mod flash;
pub mod health;
pub mod imports;
pub mod media;
pub mod members;
pub mod moderation;
pub mod orders;
pub mod overview;
pub mod payments;
pub mod platforms;
pub mod practice;
pub mod products;
pub mod promotions;
pub mod public;
pub mod reviews;
pub mod room;
pub mod scripts;
pub mod sessions;
pub mod staff;
pub mod talent;
pub mod value;

use crate::openapi::ApiDoc;
use crate::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::register))
        .routes(routes!(brand::get_brand, brand::put_brand))
        .routes(routes!(brand::channels))
        .routes(routes!(compliance::rules, compliance::create_rule))
        .routes(routes!(compliance::update_rule, compliance::delete_rule))
        .routes(routes!(compliance::import_rules))
        .routes(routes!(compliance::check))
        .routes(routes!(compliance::scan))
        .routes(routes!(platforms::list))
        .routes(routes!(platforms::update))
        .routes(routes!(platforms::assess))
        .routes(routes!(reviews::get_notes, reviews::put_notes))
        .routes(routes!(reviews::add_action))
        .routes(routes!(reviews::open_actions))
        .routes(routes!(reviews::update_action, reviews::delete_action))
        .routes(routes!(announce::reminder_state))
        .routes(routes!(announce::remind, announce::my_reminders))
        .routes(routes!(announce::forget))
        .routes(routes!(announce::inbox))
        .routes(routes!(announce::mark_read))
        .routes(routes!(announce::links, announce::add_link))
        .routes(routes!(announce::delete_link))
        .routes(routes!(announce::poster))
        .routes(routes!(announce::webhooks, announce::add_webhook))
        .routes(routes!(announce::delete_webhook))
        .routes(routes!(announce::ping_webhook))
        .routes(routes!(announce::outbox))
        .routes(routes!(talent::config, talent::set_config))
        .routes(routes!(talent::board, talent::create))
        .routes(routes!(talent::get, talent::update, talent::remove))
        .routes(routes!(talent::schedule))
        .routes(routes!(talent::my_interviews))
        .routes(routes!(talent::score))
        .routes(routes!(talent::decide))
        .routes(routes!(talent::profiles))
        .routes(routes!(talent::profile, talent::save_profile))
        .routes(routes!(talent::records))
        .routes(routes!(talent::courses, talent::create_course))
        .routes(routes!(
            talent::course,
            talent::update_course,
            talent::delete_course
        ))
        .routes(routes!(talent::enrol))
        .routes(routes!(talent::attend))
        .routes(routes!(talent::host_training))
        .routes(routes!(talent::assessments, talent::assess))
        .routes(routes!(talent::coaching))
        .routes(routes!(practice::create))
        .routes(routes!(practice::list))
        .routes(routes!(practice::get))
        .routes(routes!(practice::score))
        .routes(routes!(calendar::calendar))
        .routes(routes!(calendar::calendar_ics))
        .routes(routes!(calendar::calendar_xlsx))
        .routes(routes!(calendar::sheet))
        .routes(routes!(calendar::reschedule))
        .routes(routes!(calendar::planned_units))
        .routes(routes!(scripts::get, scripts::put))
        .routes(routes!(scripts::from_template))
        .routes(routes!(scripts::versions))
        .routes(routes!(scripts::diff))
        .routes(routes!(scripts::advance))
        .routes(routes!(scripts::split))
        .routes(routes!(scripts::templates, scripts::create_template))
        .routes(routes!(
            scripts::template,
            scripts::update_template,
            scripts::delete_template
        ))
        .routes(routes!(scripts::auto_replies, scripts::put_auto_replies))
        .routes(routes!(staff::list, staff::create))
        .routes(routes!(staff::update))
        .routes(routes!(staff::set_password))
        .routes(routes!(staff::hosts))
        .routes(routes!(products::list, products::create))
        .routes(routes!(categories::list, categories::create))
        .routes(routes!(categories::update, categories::delete))
        .routes(routes!(orders::preview))
        .routes(routes!(orders::place, orders::list))
        .routes(routes!(orders::export))
        .routes(routes!(orders::get))
        .routes(routes!(orders::ship))
        .routes(routes!(orders::deliver))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::refund))
        .routes(routes!(orders::reject_refund))
        .routes(routes!(orders::my_orders))
        .routes(routes!(orders::my_order))
        .routes(routes!(orders::my_cancel))
        .routes(routes!(orders::my_pay))
        .routes(routes!(orders::my_confirm))
        .routes(routes!(orders::my_refund_request))
        .routes(routes!(flash::launch, flash::list))
        .routes(routes!(flash::public))
        .routes(routes!(flash::end))
        .routes(routes!(payments::notify))
        .routes(routes!(payments::info))
        .routes(routes!(payments::confirm))
        .routes(routes!(promotions::coupons, promotions::create_coupon))
        .routes(routes!(promotions::coupon, promotions::update_coupon))
        .routes(routes!(promotions::issue))
        .routes(routes!(promotions::claim))
        .routes(routes!(promotions::offer, promotions::offered))
        .routes(routes!(promotions::wallet))
        .routes(routes!(promotions::campaigns, promotions::create_campaign))
        .routes(routes!(promotions::update_campaign))
        .routes(routes!(members::my_points))
        .routes(routes!(members::my_membership))
        .routes(routes!(members::tiers, members::set_tiers))
        .routes(routes!(members::settings, members::put_settings))
        .routes(routes!(members::adjust))
        .routes(routes!(addresses::list, addresses::create))
        .routes(routes!(addresses::update, addresses::delete))
        .routes(routes!(products::get, products::update, products::delete))
        .routes(routes!(sessions::list, sessions::create))
        .routes(routes!(sessions::get, sessions::update))
        .routes(routes!(sessions::transition))
        .routes(routes!(
            sessions::bag,
            sessions::add_to_bag,
            sessions::reorder_bag
        ))
        .routes(routes!(sessions::remove_from_bag))
        .routes(routes!(sessions::set_live_prices))
        .routes(routes!(public::sessions))
        .routes(routes!(public::session))
        .routes(routes!(public::lotteries))
        .routes(routes!(overview::overview))
        .routes(routes!(analytics::ingest))
        .routes(routes!(analytics::live))
        .routes(routes!(analytics::report))
        .routes(routes!(analytics::report_csv))
        .routes(routes!(analytics::report_xlsx))
        .routes(routes!(analytics::sessions))
        .routes(routes!(analytics::trend))
        .routes(routes!(evaluate::compare))
        .routes(routes!(evaluate::correlation))
        .routes(routes!(evaluate::correlation_matrix))
        .routes(routes!(evaluate::attribution))
        .routes(routes!(imports::preview))
        .routes(routes!(imports::import, imports::list))
        .routes(routes!(imports::mapping, imports::save_mapping))
        .routes(routes!(imports::cross_platform))
        .routes(routes!(competitors::watch))
        .routes(routes!(competitors::list, competitors::create))
        .routes(routes!(
            competitors::get,
            competitors::update,
            competitors::delete
        ))
        .routes(routes!(competitors::observe))
        .routes(routes!(competitors::unobserve))
        .routes(routes!(competitors::import))
        .routes(routes!(value::overview))
        .routes(routes!(value::recompute))
        .routes(routes!(value::members))
        .routes(routes!(value::members_csv))
        .routes(routes!(sessions::lotteries))
        .routes(routes!(sessions::room_stats))
        .routes(routes!(moderation::list, moderation::add))
        .routes(routes!(moderation::remove))
        .routes(routes!(moderation::check))
        .routes(routes!(
            media::key_status,
            media::issue_key,
            media::revoke_key
        ))
        .routes(routes!(media::on_publish))
        .routes(routes!(media::on_publish_done))
        .routes(routes!(media::on_restarted))
        .routes(routes!(media::create_channel))
        .routes(routes!(media::edit_channel))
        .routes(routes!(media::on_record_done))
        .routes(routes!(media::replay))
        .routes(routes!(media::set_push))
        .routes(routes!(media::targets))
        .routes(routes!(media::switch_target))
}
