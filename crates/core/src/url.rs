//! Links to images and other assets that staff paste in.

/// An `http(s)://` URL or a path on this server (`/demo/x.svg`), without spaces, at most 2 KiB.
/// `javascript:`, `data:` and protocol-relative `//host` links are refused.
pub fn is_asset_url(url: &str) -> bool {
    url.len() <= 2048
        && !url.contains(char::is_whitespace)
        && (url.starts_with("https://")
            || url.starts_with("http://")
            || (url.starts_with('/') && !url.starts_with("//")))
}

#[cfg(test)]
mod tests {
    use super::is_asset_url;

    #[test]
    fn accepts_web_links_and_local_paths_only() {
        assert!(is_asset_url("https://img.example.com/a.png"));
        assert!(is_asset_url("/demo/lipstick.svg"));
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,xx",
            "//evil.com/x",
            "a b",
            "",
        ] {
            assert!(!is_asset_url(bad), "{bad}");
        }
    }
}
