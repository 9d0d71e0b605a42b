//! `--demo`: a small organization loaded on first start, and three commands that show an allow,
//! an explicit deny and an SCP deny.

use std::net::SocketAddr;
use std::path::Path;

use crate::serve::ServeError;
use crate::state::AppState;

/// Loads the demo data; returns the lines to print.
pub async fn load(
    _state: &AppState,
    _key_file: &Path,
    _addr: SocketAddr,
) -> Result<Vec<String>, ServeError> {
    Ok(Vec::new())
}
