//! SDK-HMAC-SHA256 request signing and verification, as Huawei Cloud SDKs sign requests
#![deny(missing_docs)]
