//! Case-insensitive header lookup over whatever header representation the caller has.

/// What a header lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderValue<'a> {
    /// The header is absent.
    Absent,
    /// The header appears once, with these raw bytes.
    One(&'a [u8]),
    /// The header appears more than once.
    Repeated,
}

/// Case-insensitive access to request headers.
pub trait HeaderLookup {
    /// Looks up the header `name`, given in lower case.
    fn lookup(&self, name: &str) -> HeaderValue<'_>;
}

impl HeaderLookup for http::HeaderMap {
    fn lookup(&self, name: &str) -> HeaderValue<'_> {
        let mut values = self.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => HeaderValue::Absent,
            (Some(v), None) => HeaderValue::One(v.as_bytes()),
            (Some(_), Some(_)) => HeaderValue::Repeated,
        }
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderLookup for [(K, V)] {
    fn lookup(&self, name: &str) -> HeaderValue<'_> {
        let mut found = HeaderValue::Absent;
        for (k, v) in self {
            if k.as_ref().eq_ignore_ascii_case(name) {
                if found != HeaderValue::Absent {
                    return HeaderValue::Repeated;
                }
                found = HeaderValue::One(v.as_ref());
            }
        }
        found
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderLookup for Vec<(K, V)> {
    fn lookup(&self, name: &str) -> HeaderValue<'_> {
        self.as_slice().lookup(name)
    }
}

impl<T: HeaderLookup + ?Sized> HeaderLookup for &T {
    fn lookup(&self, name: &str) -> HeaderValue<'_> {
        (**self).lookup(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_and_map() {
        let v = vec![("Host", "h"), ("X-A", "1"), ("x-a", "2")];
        assert_eq!(v.lookup("host"), HeaderValue::One(b"h"));
        assert_eq!(v.lookup("x-a"), HeaderValue::Repeated);
        assert_eq!(v.lookup("x-b"), HeaderValue::Absent);
        let mut m = http::HeaderMap::new();
        m.insert("x-sdk-date", http::HeaderValue::from_static("d"));
        m.append("x-a", http::HeaderValue::from_static("1"));
        m.append("x-a", http::HeaderValue::from_static("2"));
        assert_eq!(m.lookup("x-sdk-date"), HeaderValue::One(b"d"));
        assert_eq!(m.lookup("x-a"), HeaderValue::Repeated);
        assert_eq!(m.lookup("Not A Header"), HeaderValue::Absent);
    }
}
