//! The API's behaviour, told as stories, each run against SQLite and PostgreSQL.

mod common;

mod analytics;
mod announce;
mod auth;
mod calendar;
mod checkout;
mod compliance;
mod evaluate;
mod flash;
mod imports;
mod media;
mod orders;
mod platform;
mod platforms;
mod products;
mod reviews;
mod room;
mod scripts;
mod sessions;
mod staff;
mod talent;
