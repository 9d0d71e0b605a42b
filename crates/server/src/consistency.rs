//! Revision tokens: the consistency a client can ask for, like SpiceDB's ZedTokens.
//!
//! Every answer carries [`REVISION`]: the revision of the snapshot the request was decided on;
//! a write answers after its own revision is in the snapshot, so a write's answer names a
//! revision that includes it. A request carrying [`MIN_REVISION`] is decided on a snapshot of
//! at least that revision: when this replica's snapshot is older, it loads the store's current
//! state first ([`AppState::reach`]), waiting at most [`WAIT`] (then `503 IAM.0504` with
//! `Retry-After`). Requests without it never wait: they are decided on the replica's current
//! snapshot, which follows the other replicas' writes within the bound of `docs/deploy.md`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use futures_util::FutureExt as _;
use futures_util::future::{Either, Map};
use http::{HeaderName, HeaderValue};
use tower::Service;

use crate::error::ApiError;
use crate::state::AppState;

/// Response header: the revision the answer was decided on (or, for a write, that includes it).
pub const REVISION: HeaderName = HeaderName::from_static("x-iam-revision");
/// Request header: decide this request on a snapshot of at least this revision.
pub const MIN_REVISION: HeaderName = HeaderName::from_static("x-iam-min-revision");
/// How long a request carrying [`MIN_REVISION`] may wait for its revision.
pub const WAIT: Duration = Duration::from_secs(5);

/// The revision a request asks for (`None`: any), or a 400 naming what is wrong.
fn min_revision(req: &Request) -> Result<Option<i64>, ApiError> {
    let Some(v) = req.headers().get(&MIN_REVISION) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "header {MIN_REVISION}: expected a revision (a non-negative integer from the \
                 {REVISION} header of an earlier answer)"
            ))
        })
}

fn stamp(state: &AppState, mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(REVISION, HeaderValue::from(state.current().revision()));
    response
}

/// Wraps a service (the API, or the gateway's dispatch) with the revision headers.
#[derive(Clone)]
pub(crate) struct Consistency<S> {
    state: AppState,
    inner: S,
}

impl<S> Consistency<S> {
    pub(crate) fn new(state: AppState, inner: S) -> Self {
        Self { state, inner }
    }
}

type Waiting = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;
type Stamp = Box<dyn FnOnce(Result<Response, Infallible>) -> Result<Response, Infallible> + Send>;

impl<S> Service<Request> for Consistency<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Waiting, Map<S::Future, Stamp>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let state = self.state.clone();
        match min_revision(&req) {
            Ok(None) => {
                let stamp: Stamp = Box::new(move |r| r.map(|resp| stamp(&state, resp)));
                Either::Right(self.inner.call(req).map(stamp))
            }
            Ok(Some(at_least)) => {
                // the clone that is ready goes into the future; `self` keeps a fresh one
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                Either::Left(Box::pin(async move {
                    if let Err(e) = state.reach(at_least, WAIT).await {
                        return Ok(stamp(&state, e.into_response()));
                    }
                    let r = inner.call(req).await;
                    r.map(|resp| stamp(&state, resp))
                }))
            }
            Err(e) => Either::Left(Box::pin(
                async move { Ok(stamp(&state, e.into_response())) },
            )),
        }
    }
}
