//! Which operations make ModelArts act with the user's agency (`data/agency-use.json`).

use serde::{Deserialize, Serialize};

/// An operation after which ModelArts works on the user's resources in the background (a
/// notebook, a training job, a deployment, labeling, a pool), with temporary credentials of the
/// agency a tenant administrator authorized for the user (seed 000, "Agency authorization").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyUse {
    /// The ModelArts action of the operation (`modelarts:trainJob:create`).
    pub action: String,
    /// The Tables 10-14 whose scenarios that work needs.
    pub tables: Vec<u8>,
    /// What the work does with the agency.
    pub note: String,
}
