//! The issue codes of the validator: each code has one finding type, a one-line meaning and a
//! fix. `docs/validation.md` documents every code with an example (a test keeps them in sync).

use crate::finding::FindingType;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = ($name:literal, $ty:ident, $meaning:literal, $fix:literal); )*) => {
        /// An issue code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The wire name (`JSON_SYNTAX_ERROR`).
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// The finding type every finding of this code has.
            pub fn finding_type(self) -> FindingType {
                match self { $( Code::$variant => FindingType::$ty, )* }
            }

            /// What the code means, in one sentence.
            pub fn meaning(self) -> &'static str {
                match self { $( Code::$variant => $meaning, )* }
            }

            /// How to fix the document.
            pub fn fix(self) -> &'static str {
                match self { $( Code::$variant => $fix, )* }
            }

            /// The link to the code's section of `docs/validation.md`
            /// (`docs/validation.md#json_syntax_error`).
            pub fn learn_more_link(self) -> String {
                format!("docs/validation.md#{}", self.as_str().to_ascii_lowercase())
            }
        }
    };
}

codes! {
    // ---- errors: the engine rejects the document ----
    /// Not JSON.
    JsonSyntaxError = ("JSON_SYNTAX_ERROR", Error,
        "The document is not valid JSON.",
        "Fix the JSON syntax at the reported position (missing comma, bracket or quote, trailing comma, comment).");
    /// Wrong JSON type.
    DataTypeMismatch = ("DATA_TYPE_MISMATCH", Error,
        "A value has the wrong JSON type (for example a number as `Effect`, an object as `Action`, or a document that is not an object).",
        "Write the value with the type the policy language expects: strings for `Version`, `Sid`, `Effect`; arrays of strings for `Action`, `Resource` and principals; objects for `Condition` and `Principal`.");
    /// Unknown member.
    InvalidPolicyElement = ("INVALID_POLICY_ELEMENT", Error,
        "The document or a statement has a member that is not part of the policy language (member names are case-sensitive).",
        "Remove the member or correct its spelling (`Effect`, not `effect`).");
    /// Duplicate member name.
    DuplicateElement = ("DUPLICATE_ELEMENT", Error,
        "The same member name appears twice in one object; JSON parsers disagree on which one wins.",
        "Keep only one of the members, merging their values if needed.");
    /// No `Version`.
    MissingVersion = ("MISSING_VERSION", Error,
        "The document has no `Version`.",
        "Add `\"Version\": \"5.0\"`.");
    /// Bad `Version`.
    InvalidVersion = ("INVALID_VERSION", Error,
        "The `Version` is not supported for this policy type (`5.0` everywhere; `1.1` only for legacy identity policies).",
        "Write `\"Version\": \"5.0\"`.");
    /// No `Statement`.
    MissingStatement = ("MISSING_STATEMENT", Error,
        "The document has no `Statement`.",
        "Add `\"Statement\": [...]` with at least one statement.");
    /// `Statement: []`.
    EmptyStatement = ("EMPTY_STATEMENT", Error,
        "`Statement` is an empty array.",
        "Add at least one statement.");
    /// No `Effect`.
    MissingEffect = ("MISSING_EFFECT", Error,
        "A statement has no `Effect`.",
        "Add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`.");
    /// Bad `Effect`.
    InvalidEffect = ("INVALID_EFFECT", Error,
        "`Effect` is neither `Allow` nor `Deny` (the value is case-sensitive).",
        "Write `Allow` or `Deny`.");
    /// No `Action`.
    MissingAction = ("MISSING_ACTION", Error,
        "A statement has neither `Action` nor `NotAction`.",
        "Add `\"Action\": [...]` listing the actions the statement is about.");
    /// `Action` + `NotAction` etc.
    ConflictingElements = ("CONFLICTING_ELEMENTS", Error,
        "A statement has two members that exclude each other: `Action` and `NotAction`, `Resource` and `NotResource`, or `Principal` and `NotPrincipal`.",
        "Keep only one of the two members.");
    /// Empty array.
    EmptyArray = ("EMPTY_ARRAY", Error,
        "An `Action`, `NotAction`, `Resource`, `NotResource`, principal list or condition value list is an empty array.",
        "List at least one value, or remove the element (an omitted `Resource` means `*`).");
    /// Empty object.
    EmptyObject = ("EMPTY_OBJECT", Error,
        "A `Principal`/`NotPrincipal` object or a version 1.1 `Resource` object is empty.",
        "Add the entries (`{\"IAM\": [\"<account-id>\"]}`, `{\"uri\": [\"/iam/agencies/<agency-id>\"]}`).");
    /// Principal outside trust policies.
    UnsupportedPrincipal = ("UNSUPPORTED_PRINCIPAL", Error,
        "The \"Principal\" element is not supported for this policy type; principals belong only in trust policies.",
        "Delete the \"Principal\" (or \"NotPrincipal\") element.");
    /// Trust statement without principal.
    MissingPrincipal = ("MISSING_PRINCIPAL", Error,
        "A trust policy statement has neither `Principal` nor `NotPrincipal`.",
        "Add `\"Principal\": {\"IAM\": [\"<account-id>\"]}` (or `Service`).");
    /// 5.0 element in 1.1.
    UnsupportedElementForVersion = ("UNSUPPORTED_ELEMENT_FOR_VERSION", Error,
        "A version 1.1 statement uses a member that exists only in version 5.0 (`Sid`, `NotAction`, `NotResource`, `Principal`, `NotPrincipal`).",
        "Remove the member, or rewrite the policy as version 5.0.");
    /// NotResource in an SCP.
    ScpUnsupportedElement = ("SCP_UNSUPPORTED_ELEMENT", Error,
        "A service control policy statement uses `NotResource`, which SCPs do not support.",
        "Use `Resource` (in a `Deny` statement to exclude resources).");
    /// SCP Allow with NotAction.
    ScpAllowNotAction = ("SCP_ALLOW_NOT_ACTION", Error,
        "An `Allow` statement of a service control policy uses `NotAction`.",
        "List the allowed actions in `Action`, or turn the statement into a `Deny` statement.");
    /// SCP Allow with Condition.
    ScpAllowCondition = ("SCP_ALLOW_CONDITION", Error,
        "An `Allow` statement of a service control policy has a `Condition`.",
        "Remove the condition, or express the restriction as a `Deny` statement with the negated condition.");
    /// SCP Allow with a resource other than `*`.
    ScpAllowResource = ("SCP_ALLOW_RESOURCE", Error,
        "An `Allow` statement of a service control policy has a `Resource` other than `[\"*\"]`.",
        "Write `\"Resource\": [\"*\"]` (or omit it) and restrict resources with a `Deny` statement.");
    /// Unknown operator.
    InvalidConditionOperator = ("INVALID_CONDITION_OPERATOR", Error,
        "A condition operator is not part of the policy language (names are case-sensitive; `Null` takes no qualifier and no `IfExists`).",
        "Use an operator such as `StringEquals`, `StringMatch`, `NumberLessThan`, `DateGreaterThan`, `Bool`, `IpAddress` or `Null`.");
    /// Bad number.
    InvalidNumber = ("INVALID_NUMBER", Error,
        "A value of a `Number*` operator is not a decimal number.",
        "Write a number such as `10`, `-1`, `2.5` or `1e3`.");
    /// Bad date.
    InvalidDate = ("INVALID_DATE", Error,
        "A value of a `Date*` operator is not a date.",
        "Write an RFC 3339 date-time (`2026-01-02T03:04:05Z`), a date (`2026-01-02`) or epoch seconds.");
    /// Bad boolean.
    InvalidBoolean = ("INVALID_BOOLEAN", Error,
        "A value of `Bool` or `Null` is not `true` or `false`.",
        "Write `true` or `false`.");
    /// Bad IP.
    InvalidIpAddress = ("INVALID_IP_ADDRESS", Error,
        "A value of `IpAddress`/`NotIpAddress` is not an IP address or CIDR block.",
        "Write an address (`10.1.2.3`, `2001:db8::1`) or a CIDR block (`10.0.0.0/8`).");
    /// Too large.
    PolicySizeExceeded = ("POLICY_SIZE_EXCEEDED", Error,
        "The document is larger than its limit: 6,144 bytes for identity policies and SCPs, 4,096 for session policies, measured on the minified JSON.",
        "Remove whitespace-independent content: merge statements, use wildcards, or split the policy into several policies.");
    /// Engine count limits.
    LimitExceeded = ("LIMIT_EXCEEDED", Error,
        "A count limit of the engine is exceeded: 1,000 statements, 1,000 entries per element, 100 condition operators per statement, 1,000 values per key, 2,048 bytes per pattern.",
        "Use wildcards, fewer values, or split the statement or the policy.");
    /// Safety net: the engine rejects a document for a reason no other check reports.
    PolicyRejected = ("POLICY_REJECTED", Error,
        "The policy engine rejects the document for a reason the other checks do not name (a safety net; it should never appear).",
        "Read the message: it is the engine's own error.");

    // ---- warnings: the policy can be created, but probably does not do what is meant ----
    /// Service not in the catalog.
    UnknownService = ("UNKNOWN_SERVICE", Warning,
        "An action or resource names a service the catalog does not know. Requests may name any action, so this is only a warning.",
        "Check the service code (`modelarts`, `obs`, `iam`, ...); service codes are lowercase.");
    /// Action not in the catalog.
    UnknownAction = ("UNKNOWN_ACTION", Warning,
        "An action of a known service is not in the catalog.",
        "Check the spelling against `modelarts-iam catalog actions <service>`.");
    /// Pattern matching no catalog action.
    ActionMatchesNothing = ("ACTION_MATCHES_NOTHING", Warning,
        "An action pattern with wildcards matches no action of its (known) service.",
        "Correct the pattern; list the service's actions with `modelarts-iam catalog actions <service>`.");
    /// Not `service:type:operation`.
    InvalidActionFormat = ("INVALID_ACTION_FORMAT", Warning,
        "An action without wildcards is not of the form `service:resourceType:operation`, so it matches no request.",
        "Write the full action name, such as `modelarts:notebook:create`.");
    /// Upper-case service segment.
    UppercaseService = ("UPPERCASE_SERVICE", Warning,
        "The service segment of an action has upper-case letters; service codes are lowercase (the engine still matches case-insensitively).",
        "Write the service code in lowercase (`modelarts`, not `ModelArts`).");
    /// Resource with fewer than five segments.
    InvalidResourceFormat = ("INVALID_RESOURCE_FORMAT", Warning,
        "A resource pattern is neither `*` nor a five-segment URN `service:region:account-id:type:id`, so it matches nothing.",
        "Write a URN such as `modelarts:cn-north-4:<account-id>:notebook:*`, or `*`.");
    /// URN cannot match the actions' resource types.
    ResourceTypeMismatch = ("RESOURCE_TYPE_MISMATCH", Warning,
        "A resource URN pattern cannot match any resource type of the statement's actions.",
        "Use a URN of a resource type the actions act on (see the message), or `*`.");
    /// Actions without resource types and a URN.
    ActionResourceNotSupported = ("ACTION_RESOURCE_NOT_SUPPORTED", Warning,
        "None of the statement's actions supports resource-level permissions, so only `Resource: [\"*\"]` can match them.",
        "Write `\"Resource\": [\"*\"]` for these actions (put them in their own statement).");
    /// Condition key not in the catalog.
    UnknownConditionKey = ("UNKNOWN_CONDITION_KEY", Warning,
        "A condition key with the prefix `g:` or of a known service is not in the catalog; a request never carries it.",
        "Check the key name against `modelarts-iam catalog` (global keys start with `g:`).");
    /// Condition key the actions do not support.
    UnsupportedConditionKey = ("UNSUPPORTED_CONDITION_KEY", Warning,
        "A service condition key is not supported by any of the statement's actions, so the condition never sees a value.",
        "Use a key the actions support, or move the condition to a statement with the actions that support it.");
    /// Key that cannot be known for an action on one of its routes.
    ConditionKeyUnknowable = ("CONDITION_KEY_UNKNOWABLE", Warning,
        "An `Allow` statement conditions on a key that no enforcement point can know for one of its actions on some route (the catalog's request-key table), so the statement never matches those requests.",
        "Move the action to a statement without the condition, or scope it another way (a resource URN); `modelarts-iam catalog` lists where each key comes from.");
    /// Operator family vs key type.
    ConditionTypeMismatch = ("CONDITION_TYPE_MISMATCH", Warning,
        "The operator's type does not match the condition key's value type (for example `StringEquals` on the date key `g:CurrentTime`).",
        "Use an operator of the key's type (`Date*` for dates, `Number*` for numbers, `Bool`, `IpAddress`, `String*`).");
    /// Qualifier on a single-valued key.
    SetOperatorOnSingleValuedKey = ("SET_OPERATOR_ON_SINGLE_VALUED_KEY", Warning,
        "`ForAnyValue:`/`ForAllValues:` is used with a single-valued key.",
        "Remove the qualifier for single-valued keys.");
    /// No qualifier on a multi-valued key.
    MultiValuedKeyWithoutQualifier = ("MULTI_VALUED_KEY_WITHOUT_QUALIFIER", Warning,
        "A multi-valued key (such as `g:TagKeys`) is used without `ForAnyValue:`/`ForAllValues:`.",
        "Say which values must match: `ForAnyValue:` (some) or `ForAllValues:` (all).");
    /// `*` in an exact string operator.
    WildcardInExactOperator = ("WILDCARD_IN_EXACT_OPERATOR", Warning,
        "A value of an exact string operator (`StringEquals`, ...) contains `*` or `?`, which are compared literally.",
        "Use `StringMatch` (or `StringNotMatch`) for wildcard matching.");
    /// Trust policy action.
    TrustUnsupportedAction = ("TRUST_UNSUPPORTED_ACTION", Warning,
        "A trust policy action matches none of `sts:agencies:assume`, `sts::tagSession`, `sts::setSourceIdentity`.",
        "Use `sts:agencies:assume` (plus `sts::tagSession` / `sts::setSourceIdentity` when needed).");
    /// Malformed principal.
    InvalidPrincipal = ("INVALID_PRINCIPAL", Warning,
        "A principal entry is not of a recognised form (`IAM`: an account ID, `*`, or a URN `iam::<account-id>:...`; `Service`: `service.<Name>`).",
        "Write the principal in one of the recognised forms.");
    /// SCP wildcard position.
    ScpActionWildcardPosition = ("SCP_ACTION_WILDCARD_POSITION", Warning,
        "An SCP action pattern has a wildcard other than `*` alone or `*` at the end of a segment.",
        "Write `*`, `service:*` or `service:type:prefix*`.");

    // ---- security warnings: the policy grants more than is probably intended ----
    /// `*` on `*`.
    FullAccess = ("FULL_ACCESS", SecurityWarning,
        "An `Allow` statement grants every action on every resource without a condition.",
        "Grant only the actions and resources needed.");
    /// Wildcard including Write actions.
    WriteAccessWildcard = ("WRITE_ACCESS_WILDCARD", SecurityWarning,
        "An `Allow` statement grants, through a wildcard, `Write` actions on all resources.",
        "List the write actions needed, or restrict `Resource`.");
    /// Wildcard including Permission_management actions.
    PermissionsManagementWildcard = ("PERMISSIONS_MANAGEMENT_WILDCARD", SecurityWarning,
        "An `Allow` statement grants, through a wildcard, `Permission_management` actions on all resources (privilege escalation).",
        "List the permission-management actions needed explicitly and restrict `Resource`.");
    /// Allow + NotAction.
    AllowWithNotAction = ("ALLOW_WITH_NOT_ACTION", SecurityWarning,
        "An `Allow` statement uses `NotAction`: it grants every other action, including future ones.",
        "List the allowed actions in `Action`.");
    /// Allow + NotResource.
    AllowWithNotResource = ("ALLOW_WITH_NOT_RESOURCE", SecurityWarning,
        "An `Allow` statement uses `NotResource`: it grants access to every other resource.",
        "List the allowed resources in `Resource`.");
    /// Assume any agency.
    AssumeAnyAgency = ("ASSUME_ANY_AGENCY", SecurityWarning,
        "An `Allow` statement grants `sts:agencies:assume` on every agency.",
        "Restrict `Resource` to the agency URNs the principal may assume.");
    /// Trust `*`.
    TrustPrincipalWildcard = ("TRUST_PRINCIPAL_WILDCARD", SecurityWarning,
        "A trust policy lets any IAM principal of any account assume the agency, without a condition.",
        "Name the trusted account IDs, or add a condition such as `g:PrincipalAccount` / `g:ExternalId`.");
    /// Allow + NotPrincipal.
    AllowWithNotPrincipal = ("ALLOW_WITH_NOT_PRINCIPAL", SecurityWarning,
        "An `Allow` statement of a trust policy uses `NotPrincipal`: every other principal may assume the agency.",
        "Name the trusted principals in `Principal`.");
    /// Deny on a key that cannot be known.
    DenyConditionKeyUnknowable = ("DENY_CONDITION_KEY_UNKNOWABLE", SecurityWarning,
        "A `Deny` statement conditions on a key that no enforcement point can know for one of its actions on some route (the catalog's request-key table), so the Deny never applies to those requests.",
        "Deny those actions without the condition, or by resource URN; do not rely on this Deny for them.");
    /// ForAllValues in Allow.
    ForAllValuesWithAllow = ("FOR_ALL_VALUES_WITH_ALLOW", SecurityWarning,
        "`ForAllValues:` in an `Allow` statement holds when the request carries no value for the key, so the statement also allows such requests.",
        "Add a `Null` condition (`\"Null\": {\"<key>\": \"false\"}`) or use `ForAnyValue:`.");

    // ---- suggestions: works, could be written better ----
    /// Statement as a single object.
    StatementNotArray = ("STATEMENT_NOT_ARRAY", Suggestion,
        "`Statement` is a single object; it is accepted as a one-element array.",
        "Write `\"Statement\": [ { ... } ]`.");
    /// Version 1.1.
    DeprecatedVersion = ("DEPRECATED_VERSION", Suggestion,
        "The document uses the legacy version `1.1`.",
        "Rewrite it as a version 5.0 identity policy.");
    /// AWS or 1.1 operator spelling.
    LegacyOperator = ("LEGACY_OPERATOR", Suggestion,
        "A version 5.0 document uses an AWS or 1.1 operator spelling (`Numeric*`, `StringLike`, `StringNotLike`).",
        "Write the 5.0 name (`Number*`, `StringMatch`, `StringNotMatch`).");
    /// Number/boolean condition value.
    ConditionValueNotString = ("CONDITION_VALUE_NOT_STRING", Suggestion,
        "A condition value is a JSON number or boolean; it is converted to its JSON text.",
        "Write the value as a string (`\"10\"`, `\"true\"`).");
    /// Empty condition objects.
    EmptyCondition = ("EMPTY_CONDITION", Suggestion,
        "A `Condition` (or one of its operators) is an empty object and has no effect.",
        "Remove the empty object, or add the intended condition.");
    /// Empty Sid.
    EmptySid = ("EMPTY_SID", Suggestion,
        "A `Sid` is the empty string.",
        "Give the statement a descriptive `Sid` or remove it.");
    /// Duplicate Sid.
    DuplicateSid = ("DUPLICATE_SID", Suggestion,
        "Two statements have the same `Sid`.",
        "Make every `Sid` unique so explanations identify statements unambiguously.");
    /// Repeated values.
    DuplicateValue = ("DUPLICATE_VALUE", Suggestion,
        "A list repeats a value (actions compared case-insensitively).",
        "Remove the repeated value.");
    /// Action covered by a wildcard.
    RedundantAction = ("REDUNDANT_ACTION", Suggestion,
        "An action is already matched by a wildcard pattern of the same element.",
        "Remove the redundant action.");
    /// Resource besides `*`.
    RedundantResource = ("REDUNDANT_RESOURCE", Suggestion,
        "`Resource` lists `*` together with other resources, which adds nothing.",
        "Keep `*` alone, or remove it and keep the specific resources.");
}
