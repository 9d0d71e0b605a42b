//! The ModelArts service catalog (actions, REST routes, resource types, condition keys, dependency and agency tables) as checked data with a typed API
#![deny(missing_docs)]
