//! What makes a product valid, as plain functions.

use super::{ProductInput, SkuInput};
use crate::CommerceError;
use sellstream_core::Fen;
use std::collections::HashSet;

pub const MAX_SKUS: usize = 200;
pub const MAX_IMAGES: usize = 20;
pub const MAX_STOCK: i64 = 1_000_000_000;

fn invalid(msg: impl Into<String>) -> CommerceError {
    CommerceError::Invalid(msg.into())
}

/// Trims and checks a product; returns it normalised.
pub fn check_product(mut p: ProductInput) -> Result<ProductInput, CommerceError> {
    p.title = p.title.trim().to_owned();
    if !(1..=120).contains(&p.title.chars().count()) {
        return Err(invalid("title: 1–120 characters"));
    }
    if p.description.chars().count() > 10_000 {
        return Err(invalid("description: at most 10,000 characters"));
    }
    if p.images.len() > MAX_IMAGES {
        return Err(invalid(format!("images: at most {MAX_IMAGES}")));
    }
    for (i, url) in p.images.iter_mut().enumerate() {
        *url = url.trim().to_owned();
        if !sellstream_core::url::is_asset_url(url) {
            return Err(invalid(format!(
                "images[{i}]: an http(s) URL or a path starting with /"
            )));
        }
    }
    if p.purchase_limit.is_some_and(|n| !(1..=999).contains(&n)) {
        return Err(invalid(
            "purchase_limit: 1 to 999 units per customer, or none",
        ));
    }
    if p.skus.is_empty() {
        return Err(invalid("skus: a product needs at least one SKU"));
    }
    if p.skus.len() > MAX_SKUS {
        return Err(invalid(format!("skus: at most {MAX_SKUS}")));
    }
    let mut codes = HashSet::new();
    let mut ids = HashSet::new();
    for (i, sku) in p.skus.iter_mut().enumerate() {
        check_sku(i, sku)?;
        if !codes.insert(sku.code.clone()) {
            return Err(CommerceError::DuplicateSkuCode(sku.code.clone()));
        }
        if let Some(id) = sku.id {
            if !ids.insert(id) {
                return Err(invalid(format!("skus[{i}].id: SKU {id} is listed twice")));
            }
        }
    }
    Ok(p)
}

fn check_sku(i: usize, sku: &mut SkuInput) -> Result<(), CommerceError> {
    sku.code = sku.code.trim().to_owned();
    let code_ok = (1..=64).contains(&sku.code.len())
        && sku
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !code_ok {
        return Err(invalid(format!(
            "skus[{i}].code: 1–64 letters, digits, `-`, `_` or `.`"
        )));
    }
    if sku.price_fen < 0 {
        return Err(invalid(format!(
            "skus[{i}].price_fen: a price cannot be negative"
        )));
    }
    if sku.price_fen > Fen::MAX_PRICE.0 {
        return Err(invalid(format!(
            "skus[{i}].price_fen: at most {}",
            Fen::MAX_PRICE
        )));
    }
    if !(0..=MAX_STOCK).contains(&sku.stock) {
        return Err(invalid(format!("skus[{i}].stock: 0 to {MAX_STOCK} units")));
    }
    if sku.attributes.len() > 10 {
        return Err(invalid(format!("skus[{i}].attributes: at most 10")));
    }
    for (k, v) in &sku.attributes {
        if !(1..=32).contains(&k.trim().chars().count())
            || !(1..=64).contains(&v.trim().chars().count())
        {
            return Err(invalid(format!(
                "skus[{i}].attributes: names 1–32 and values 1–64 characters"
            )));
        }
    }
    sku.attributes = std::mem::take(&mut sku.attributes)
        .into_iter()
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sku(code: &str, price: i64) -> SkuInput {
        SkuInput {
            id: None,
            code: code.into(),
            attributes: BTreeMap::from([("颜色".into(), " 红 ".into())]),
            price_fen: price,
            stock: 10,
        }
    }

    fn product(skus: Vec<SkuInput>) -> ProductInput {
        ProductInput {
            title: "  口红 ".into(),
            description: String::new(),
            images: vec!["/demo/lipstick.svg".into()],
            on_shelf: true,
            category_id: None,
            purchase_limit: None,
            skus,
        }
    }

    #[test]
    fn accepts_and_trims_a_good_product() {
        let p = check_product(product(vec![sku("LS-01", 12900)])).unwrap();
        assert_eq!(p.title, "口红");
        assert_eq!(p.skus[0].attributes["颜色"], "红");
    }

    #[test]
    fn refuses_negative_prices_duplicate_codes_and_no_skus() {
        assert!(matches!(
            check_product(product(vec![sku("A", -1)])),
            Err(CommerceError::Invalid(m)) if m.contains("negative")
        ));
        assert!(matches!(
            check_product(product(vec![sku("A", 1), sku("A", 2)])),
            Err(CommerceError::DuplicateSkuCode(c)) if c == "A"
        ));
        assert!(check_product(product(vec![])).is_err());
        assert!(check_product(product(vec![sku("has space", 1)])).is_err());
    }

    #[test]
    fn refuses_odd_image_urls() {
        let mut p = product(vec![sku("A", 1)]);
        p.images = vec!["javascript:alert(1)".into()];
        assert!(check_product(p).is_err());
    }
}
