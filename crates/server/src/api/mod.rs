//! The HTTP API, one module per API family, each declaring its endpoints
//! (`ENDPOINTS`, see [`crate::endpoints`]) next to its handlers.

pub(crate) mod analyzer;
pub(crate) mod assistant;
pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod console;
pub(crate) mod console_session;
pub(crate) mod decisions;
pub(crate) mod eps;
pub(crate) mod gateway;
pub(crate) mod iam;
pub(crate) mod keystone;
pub(crate) mod modelarts;
pub(crate) mod ops;
pub(crate) mod org;
pub(crate) mod sts;
pub(crate) mod workspaces;

use crate::endpoints::Endpoint;

/// Every family's endpoints.
pub(crate) const FAMILIES: &[&[Endpoint]] = &[
    ops::ENDPOINTS,
    decisions::ENDPOINTS,
    iam::policies::ENDPOINTS,
    iam::attachments::ENDPOINTS,
    iam::users::ENDPOINTS,
    iam::access_keys::ENDPOINTS,
    iam::groups::ENDPOINTS,
    iam::agencies::ENDPOINTS,
    iam::login::ENDPOINTS,
    iam::mfa::ENDPOINTS,
    keystone::ENDPOINTS,
    console_session::ENDPOINTS,
    sts::ENDPOINTS,
    org::organizations::ENDPOINTS,
    org::policies::ENDPOINTS,
    org::units::ENDPOINTS,
    org::accounts::ENDPOINTS,
    analyzer::ENDPOINTS,
    audit::ENDPOINTS,
    gateway::ENDPOINTS,
    modelarts::ENDPOINTS,
    workspaces::ENDPOINTS,
    eps::ENDPOINTS,
    assistant::ENDPOINTS,
    catalog::ENDPOINTS,
    console::ENDPOINTS,
];
