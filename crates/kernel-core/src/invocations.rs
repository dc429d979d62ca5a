//! The invocations resource: its calls. The shapes they send and answer are in `wire.rs`,
//! re-exported here and at the crate root.

use bytes::Bytes;
use http::Method;
use serde::Serialize;

use crate::error::Error;
use crate::page::page_headers;
pub use crate::page::Page;
use crate::request::{RequestOptions, RequestSpec};
use crate::response::{Response, Undecoded};
use crate::stream::EventStream;
use crate::transport::Transport;
use crate::url_path::encode_segment;
pub use crate::wire::{
    Browser, Invocation, InvocationCreateParams, InvocationCreateResponse, InvocationFollowParams,
    InvocationListBrowsersResponse, InvocationListParams, InvocationStatus, InvocationUpdateParams,
    UpdateStatus,
};

/// The invocations calls of a [`crate::Client`].
pub struct Invocations<'a> {
    pub(crate) transport: &'a Transport,
}

fn id_path(id: &str, suffix: &str) -> Result<String, Error> {
    Ok(format!("invocations/{}{suffix}", encode_segment("id", id)?))
}

fn json_body(params: &impl Serialize) -> Result<Bytes, Error> {
    serde_json::to_vec(params)
        .map(Bytes::from)
        .map_err(|err| Error::invalid("params", format!("could not be encoded as JSON: {err}")))
}

fn non_empty(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must be a non-empty string"));
    }
    Ok(())
}

impl Invocations<'_> {
    /// `POST /invocations`: invokes an action.
    pub async fn create(
        &self,
        params: &InvocationCreateParams,
        options: &RequestOptions,
    ) -> Result<Response<InvocationCreateResponse>, Error> {
        self.create_undecoded(params, options).await?.decode()
    }

    /// [`Self::create`], with the answer not decoded yet.
    pub async fn create_undecoded(
        &self,
        params: &InvocationCreateParams,
        options: &RequestOptions,
    ) -> Result<Response<Undecoded>, Error> {
        non_empty("action_name", &params.action_name)?;
        non_empty("app_name", &params.app_name)?;
        non_empty("version", &params.version)?;
        if let Some(seconds) = params.async_timeout_seconds {
            if !(10..=3600).contains(&seconds) {
                return Err(Error::invalid(
                    "async_timeout_seconds",
                    format!("must be from 10 to 3600, got {seconds}"),
                ));
            }
        }
        let mut spec = RequestSpec::new(Method::POST, "invocations".to_owned());
        spec.body = Some(json_body(params)?);
        Ok(self
            .transport
            .execute(spec, options)
            .await?
            .undecoded("an invocation"))
    }

    /// `GET /invocations/{id}`.
    pub async fn retrieve(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Response<Invocation>, Error> {
        self.retrieve_undecoded(id, options).await?.decode()
    }

    /// [`Self::retrieve`], with the answer not decoded yet.
    pub async fn retrieve_undecoded(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Response<Undecoded>, Error> {
        let spec = RequestSpec::new(Method::GET, id_path(id, "")?);
        Ok(self
            .transport
            .execute(spec, options)
            .await?
            .undecoded("an invocation"))
    }

    /// `PATCH /invocations/{id}`: sets a terminal status and, optionally, the output.
    ///
    /// Nothing is sent when `id` is empty or a dot segment.
    pub async fn update(
        &self,
        id: &str,
        params: &InvocationUpdateParams,
        options: &RequestOptions,
    ) -> Result<Response<Invocation>, Error> {
        self.update_undecoded(id, params, options).await?.decode()
    }

    /// [`Self::update`], with the answer not decoded yet.
    pub async fn update_undecoded(
        &self,
        id: &str,
        params: &InvocationUpdateParams,
        options: &RequestOptions,
    ) -> Result<Response<Undecoded>, Error> {
        let mut spec = RequestSpec::new(Method::PATCH, id_path(id, "")?);
        spec.body = Some(json_body(params)?);
        Ok(self
            .transport
            .execute(spec, options)
            .await?
            .undecoded("an invocation"))
    }

    /// `GET /invocations`: one page; follow [`Page::next_page_offset`] for the next.
    pub async fn list(
        &self,
        params: &InvocationListParams,
        options: &RequestOptions,
    ) -> Result<Response<Page<Invocation>>, Error> {
        let mut spec = RequestSpec::new(Method::GET, "invocations".to_owned());
        let text_filters = [
            ("action_name", &params.action_name),
            ("app_name", &params.app_name),
            ("deployment_id", &params.deployment_id),
            ("query", &params.query),
            ("since", &params.since),
            ("version", &params.version),
        ];
        for (name, value) in text_filters {
            if let Some(value) = value {
                spec.query.push((name, value.clone()));
            }
        }
        if let Some(status) = &params.status {
            spec.query.push(("status", status.as_str().to_owned()));
        }
        if let Some(limit) = params.limit {
            if limit == 0 {
                return Err(Error::invalid("limit", "must be at least 1"));
            }
            spec.query.push(("limit", limit.to_string()));
        }
        if let Some(offset) = params.offset {
            spec.query.push(("offset", offset.to_string()));
        }
        let response = self.transport.execute(spec, options).await?;
        let (has_more, next_offset) = page_headers(response.status, &response.headers)?;
        let status = response.status.as_u16();
        let items = response.json("a list of invocations")?;
        Ok(items.map(|items| Page {
            items,
            has_more,
            next_offset,
            offset: params.offset.unwrap_or(0),
            status,
        }))
    }

    /// `GET /invocations/{id}/events`: a stream of events until the invocation ends.
    pub async fn follow(
        &self,
        id: &str,
        params: &InvocationFollowParams,
        options: &RequestOptions,
    ) -> Result<Response<EventStream>, Error> {
        let mut spec = RequestSpec::new(Method::GET, id_path(id, "/events")?);
        spec.accept = Some("text/event-stream");
        if let Some(since) = &params.since {
            spec.query.push(("since", since.clone()));
        }
        let streaming = self.transport.execute_streaming(spec, options).await?;
        let stream = EventStream::new(streaming.body, streaming.timeout);
        Ok(streaming.head.map(|()| stream))
    }

    /// `GET /invocations/{id}/browsers`: the invocation's active browser sessions.
    pub async fn list_browsers(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Response<InvocationListBrowsersResponse>, Error> {
        let spec = RequestSpec::new(Method::GET, id_path(id, "/browsers")?);
        self.transport
            .execute(spec, options)
            .await?
            .json("a list of browsers")
    }

    /// `DELETE /invocations/{id}/browsers`: deletes the invocation's browser sessions.
    pub async fn delete_browsers(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Response<()>, Error> {
        let mut spec = RequestSpec::new(Method::DELETE, id_path(id, "/browsers")?);
        spec.accept = Some("*/*");
        self.transport.execute(spec, options).await
    }
}
