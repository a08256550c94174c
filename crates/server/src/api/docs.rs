//! `/api/docs`: the API reference as one server-rendered page, built from the same OpenAPI
//! document, so it works with no network and never disagrees with `/api/v1/openapi.json`.

use crate::documents::escape;
use serde_json::Value;
use std::fmt::Write;

/// A schema reference's name (`#/components/schemas/Page` -> `Page`), or its type.
fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    schema.get("type").map(|t| t.to_string().trim_matches('"').to_string()).unwrap_or_default()
}

pub fn render(doc: &Value) -> String {
    let mut body = String::new();
    let title = doc.pointer("/info/title").and_then(Value::as_str).unwrap_or("API");
    let intro = doc.pointer("/info/description").and_then(Value::as_str).unwrap_or("");
    let _ = write!(body, "<h1>{}</h1><p>{}</p>", escape(title), escape(intro));
    let _ = write!(
        body,
        "<p>Machine-readable: <a href=\"/api/v1/openapi.json\">OpenAPI 3.1 document</a>. Authenticate with <code>Authorization: Bearer rk_…</code> or a session cookie from <code>POST /api/v1/session</code>.</p>"
    );
    let paths = doc.get("paths").and_then(Value::as_object).cloned().unwrap_or_default();
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let summary = op.get("summary").and_then(Value::as_str).unwrap_or("");
            let description = op.get("description").and_then(Value::as_str).unwrap_or("");
            let _ = write!(
                body,
                "<section id=\"{id}\"><h2><span class=\"m\">{m}</span> <code>{p}</code></h2><p>{s}</p>",
                id = escape(&format!("{method}-{path}")),
                m = escape(&method.to_uppercase()),
                p = escape(path),
                s = escape(summary)
            );
            if !description.is_empty() {
                let _ = write!(body, "<p>{}</p>", escape(description));
            }
            let params: Vec<&Value> = op.get("parameters").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
            if !params.is_empty() {
                body.push_str("<table><caption>Parameters</caption><tr><th>name</th><th>in</th><th>about</th></tr>");
                for p in params {
                    let field = |k: &str| escape(p.get(k).and_then(Value::as_str).unwrap_or(""));
                    let _ = write!(
                        body,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                        field("name"),
                        field("in"),
                        field("description")
                    );
                }
                body.push_str("</table>");
            }
            if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                let _ = write!(body, "<p>Body: <code>{}</code></p>", escape(&schema_name(schema)));
            }
            body.push_str("<table><caption>Responses</caption><tr><th>status</th><th>body</th><th>about</th></tr>");
            for (status, res) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                let schema = res.get("content").and_then(Value::as_object).and_then(|c| c.values().next()).and_then(|c| c.get("schema"));
                let about = res.get("description").and_then(Value::as_str).unwrap_or("");
                let _ = write!(
                    body,
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                    escape(status),
                    escape(&schema.map(schema_name).unwrap_or_default()),
                    escape(about)
                );
            }
            body.push_str("</table></section>");
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}}\
         section{{border-top:1px solid #ddd;padding-top:.5rem}}.m{{font-size:.8em;background:#1b1b1b;color:#fff;padding:.1rem .4rem;border-radius:.2rem}}\
         table{{border-collapse:collapse;width:100%;margin:.5rem 0}}caption{{text-align:left;font-weight:600}}td,th{{border-bottom:1px solid #eee;padding:.3rem;text-align:left;vertical-align:top}}\
         code{{font-size:.95em}}</style></head><body>{body}</body></html>",
        t = escape(title)
    )
}
