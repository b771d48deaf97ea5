//! The pages' own error: what went wrong, shown as a page in the reader's language — never the
//! JSON API's error body, never an internal detail.

use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::Lang;
use super::message_page;
use crate::ApiError;

#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    /// The field and why, for a request refused for what it asked; none for ours.
    pub message: Option<String>,
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let message = e.status.is_client_error().then(|| e.page_message());
        PageError {
            status: e.status,
            message,
        }
    }
}

impl PageError {
    /// The error as a page in `lang`.
    pub fn page(&self, lang: Lang) -> Response {
        let t = lang.t();
        let (title, message) = match (self.status, &self.message) {
            (StatusCode::NOT_FOUND, _) => (t.not_found_title, t.not_found),
            (_, Some(message)) => (t.bad_request_title, message.as_str()),
            (_, None) => (t.server_error_title, t.server_error),
        };
        message_page(self.status, lang, title, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_error_speaks_the_readers_language_and_hides_our_faults() {
        let ours = PageError::from(ApiError::internal("the pool is closed"));
        let page = ours.page(Lang::Uk);
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let field = PageError::from(ApiError::invalid(dosvid_domain::FieldError::new(
            "name",
            "is required",
        )));
        assert_eq!(field.message.as_deref(), Some("name: is required"));
        assert_eq!(
            field.page(Lang::En).status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
