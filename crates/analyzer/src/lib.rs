//! Access-Analyzer-style policy validation (findings with codes and positions) and policy containment analysis.
#![deny(missing_docs)]
