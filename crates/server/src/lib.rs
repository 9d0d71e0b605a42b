//! The HTTP server: IAM v5, STS, Organizations and Access Analyzer APIs, the decision API and the enforcement gateway
#![deny(missing_docs)]
