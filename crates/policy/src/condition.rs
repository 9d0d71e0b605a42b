//! Compiled conditions and their evaluation (spec §4).

use crate::context::Context;
use crate::error::ValueError;
use crate::operator::{
    BaseOperator, Family, Operator, Qualifier, parse_bool, parse_date, parse_ip_address,
    parse_ip_network, parse_number,
};
use iam_wildcard::{Case, Pattern};
use std::net::IpAddr;

/// One `operator key: [values]` entry of a statement's `Condition`.
#[derive(Debug, Clone)]
pub struct ConditionEntry {
    /// The parsed operator.
    pub operator: Operator,
    /// The operator as written in the document (`NumericLessThan` stays as written).
    pub operator_name: String,
    /// The condition key as written.
    pub key: String,
    /// The condition values as written (numbers and booleans as their JSON text).
    pub values: Vec<String>,
    key_lower: Box<str>,
    compiled: Compiled,
}

/// Condition values pre-parsed for the operator family.
#[derive(Debug, Clone)]
enum Compiled {
    /// Exact strings (case-sensitive) or Unicode-lowercased strings (ignore-case operators).
    Str(Vec<Box<str>>),
    /// Case-sensitive glob patterns (`StringMatch`, `StringLike`).
    Glob(Vec<Pattern>),
    Number(Vec<f64>),
    Date(Vec<i128>),
    Bool(Vec<bool>),
    Ip(Vec<ipnet::IpNet>),
}

/// Result of evaluating one condition entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    True,
    False,
    /// A request value did not parse for the operator (fail closed, spec §4.3).
    Error,
}

impl ConditionEntry {
    /// Compiles one entry; policy values that do not parse for the family are an error
    /// (the index of the offending value is returned with it).
    pub fn new(
        operator: Operator,
        operator_name: &str,
        key: &str,
        values: Vec<String>,
    ) -> Result<ConditionEntry, (usize, ValueError)> {
        let base = operator.base;
        let compiled = match base.family() {
            Family::String => match base {
                BaseOperator::StringMatch
                | BaseOperator::StringNotMatch
                | BaseOperator::StringLike
                | BaseOperator::StringNotLike => Compiled::Glob(
                    values
                        .iter()
                        .map(|v| Pattern::new(v, Case::Sensitive))
                        .collect(),
                ),
                _ if ignores_case(base) => {
                    Compiled::Str(values.iter().map(|v| v.to_lowercase().into()).collect())
                }
                _ => Compiled::Str(values.iter().map(|v| v.as_str().into()).collect()),
            },
            Family::Number => Compiled::Number(parse_all(&values, parse_number)?),
            Family::Date => Compiled::Date(parse_all(&values, parse_date)?),
            Family::Bool | Family::Null => Compiled::Bool(parse_all(&values, parse_bool)?),
            Family::Ip => Compiled::Ip(parse_all(&values, parse_ip_network)?),
        };
        Ok(ConditionEntry {
            operator,
            operator_name: operator_name.to_owned(),
            key: key.to_owned(),
            key_lower: key.to_ascii_lowercase().into(),
            values,
            compiled,
        })
    }

    /// The condition key lowercased (context keys are ASCII-case-insensitive).
    pub fn key_lower(&self) -> &str {
        &self.key_lower
    }

    /// Whether this entry, being on `g:ServiceName`, can never hold for a request of `service`:
    /// the engine always takes that key from the request's action (spec §4.1), so a statement
    /// with such an entry never applies to that service's actions. `false` for other keys.
    pub fn excludes_service(&self, service: &str) -> bool {
        if self.key_lower.as_ref() != "g:servicename" {
            return false;
        }
        let ctx = Context::new();
        let env = Env {
            ctx: &ctx,
            urn: None,
            account: None,
            root: None,
            service: Some(service),
        };
        matches!(self.eval(&env), Outcome::False)
    }

    /// Evaluates the entry against the request values of its key (spec §4.3).
    pub(crate) fn eval(&self, env: &Env<'_>) -> Outcome {
        let vals = env.values(&self.key_lower);
        let missing = vals.is_empty();
        let op = self.operator;
        if op.base == BaseOperator::Null {
            let Compiled::Bool(cs) = &self.compiled else {
                return Outcome::Error;
            };
            return to_outcome(cs.contains(&missing));
        }
        if missing {
            if op.if_exists {
                return Outcome::True;
            }
            return to_outcome(match op.qualifier {
                Some(Qualifier::ForAnyValue) => false,
                Some(Qualifier::ForAllValues) => true,
                None => op.base.is_negated(),
            });
        }
        let negated = op.base.is_negated();
        let want_all = match op.qualifier {
            Some(Qualifier::ForAnyValue) => false,
            Some(Qualifier::ForAllValues) => true,
            None => negated,
        };
        let mut any = false;
        let mut all = true;
        for v in vals.iter() {
            let Some(matched) = self.positive_any(v) else {
                return Outcome::Error;
            };
            let sat = matched != negated;
            any |= sat;
            all &= sat;
        }
        to_outcome(if want_all { all } else { any })
    }

    /// `P(v, c)` for some condition value `c`, with `P` the positive form of the operator;
    /// `None` when `v` does not parse for the family.
    fn positive_any(&self, v: &str) -> Option<bool> {
        let base = self.operator.base.positive().unwrap_or(self.operator.base);
        Some(match &self.compiled {
            Compiled::Glob(ps) => ps.iter().any(|p| p.matches(v)),
            Compiled::Str(cs) => {
                if ignores_case(base) {
                    if v.is_ascii() {
                        cs.iter().any(|c| str_op_ascii_ci(base, v, c))
                    } else {
                        let lower = v.to_lowercase();
                        cs.iter().any(|c| str_op(base, &lower, c))
                    }
                } else {
                    cs.iter().any(|c| str_op(base, v, c))
                }
            }
            Compiled::Number(cs) => {
                let n = parse_number(v).ok()?;
                cs.iter().any(|&c| cmp_op(base, n.partial_cmp(&c)))
            }
            Compiled::Date(cs) => {
                let d = parse_date(v).ok()?;
                cs.iter().any(|&c| cmp_op(base, Some(d.cmp(&c))))
            }
            Compiled::Bool(cs) => {
                let b = parse_bool(v).ok()?;
                cs.contains(&b)
            }
            Compiled::Ip(cs) => {
                let a: IpAddr = parse_ip_address(v).ok()?;
                cs.iter().any(|c| c.contains(&a))
            }
        })
    }

    /// True when `v` does not parse for the operator family (the reason of an [`Outcome::Error`]).
    pub(crate) fn value_error(&self, v: &str) -> Option<ValueError> {
        match self.operator.family() {
            Family::Number => parse_number(v).err(),
            Family::Date => parse_date(v).err(),
            Family::Bool => parse_bool(v).err(),
            Family::Ip => parse_ip_address(v).err(),
            Family::String | Family::Null => None,
        }
    }
}

fn to_outcome(b: bool) -> Outcome {
    if b { Outcome::True } else { Outcome::False }
}

fn parse_all<T>(
    values: &[String],
    f: fn(&str) -> Result<T, ValueError>,
) -> Result<Vec<T>, (usize, ValueError)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| f(v).map_err(|e| (i, e)))
        .collect()
}

fn ignores_case(base: BaseOperator) -> bool {
    matches!(
        base,
        BaseOperator::StringEqualsIgnoreCase
            | BaseOperator::StringNotEqualsIgnoreCase
            | BaseOperator::StringStartWithIgnoreCase
            | BaseOperator::StringEndWithIgnoreCase
    )
}

/// String comparison of a (positive) operator; `c` is already lowercased for ignore-case ones.
fn str_op(base: BaseOperator, v: &str, c: &str) -> bool {
    match base {
        BaseOperator::StringStartWith | BaseOperator::StringStartWithIgnoreCase => v.starts_with(c),
        BaseOperator::StringEndWith | BaseOperator::StringEndWithIgnoreCase => v.ends_with(c),
        _ => v == c,
    }
}

/// Ignore-case comparison of an ASCII request value with a lowercased condition value.
fn str_op_ascii_ci(base: BaseOperator, v: &str, c: &str) -> bool {
    let (v, c) = (v.as_bytes(), c.as_bytes());
    match base {
        BaseOperator::StringStartWithIgnoreCase => v
            .get(..c.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(c)),
        BaseOperator::StringEndWithIgnoreCase => v
            .len()
            .checked_sub(c.len())
            .and_then(|start| v.get(start..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(c)),
        _ => v.eq_ignore_ascii_case(c),
    }
}

fn cmp_op(base: BaseOperator, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some(ord) = ord else { return false };
    match base {
        BaseOperator::NumberEquals | BaseOperator::DateEquals => ord == Equal,
        BaseOperator::NumberLessThan | BaseOperator::DateLessThan => ord == Less,
        BaseOperator::NumberLessThanEquals | BaseOperator::DateLessThanEquals => ord != Greater,
        BaseOperator::NumberGreaterThan | BaseOperator::DateGreaterThan => ord == Greater,
        BaseOperator::NumberGreaterThanEquals | BaseOperator::DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

/// Evaluates a statement's condition for a statement of the given effect: all entries must
/// hold; an erroring entry makes an `Allow` statement not apply and a `Deny` statement apply.
pub(crate) fn condition_applies(entries: &[ConditionEntry], deny: bool, env: &Env<'_>) -> bool {
    if deny {
        let mut all = true;
        for e in entries {
            match e.eval(env) {
                Outcome::Error => return true,
                Outcome::False => all = false,
                Outcome::True => {}
            }
        }
        all
    } else {
        entries.iter().all(|e| e.eval(env) == Outcome::True)
    }
}

/// The request values of one key: from the context, or the evaluator's defaults (spec §4.1).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    Slice(&'a [String]),
    One(&'a str),
}

impl<'a> Values<'a> {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Values::Slice(s) => s.is_empty(),
            Values::One(_) => false,
        }
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = &'a str> {
        let (slice, one): (&'a [String], Option<&'a str>) = match self {
            Values::Slice(s) => (s, None),
            Values::One(v) => (&[], Some(v)),
        };
        slice.iter().map(String::as_str).chain(one)
    }

    pub(crate) fn to_vec(self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// What conditions see: the context plus the defaults the evaluator adds when it lacks them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) urn: Option<&'a str>,
    pub(crate) account: Option<&'a str>,
    pub(crate) root: Option<bool>,
    /// `g:ServiceName`: the service of the request's action (`iam` of `iam:users:listUsersV5`);
    /// always the action's, whatever the context says (spec §4.1).
    pub(crate) service: Option<&'a str>,
}

impl<'a> Env<'a> {
    pub(crate) fn values(&self, key_lower: &str) -> Values<'a> {
        if key_lower == "g:servicename"
            && let Some(service) = self.service
        {
            return Values::One(service);
        }
        if let Some(v) = self.ctx.get_lower(key_lower)
            && !v.is_empty()
        {
            return Values::Slice(v);
        }
        let default = match key_lower {
            "g:principalurn" => self.urn,
            "g:principalaccount" | "g:domainid" => self.account,
            "g:principalisrootuser" => self.root.map(|r| if r { "true" } else { "false" }),
            _ => None,
        };
        match default {
            Some(d) => Values::One(d),
            None => Values::Slice(&[]),
        }
    }
}
