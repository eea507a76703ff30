//! Uploaded files made to cost the server: workbooks that expand to hundreds of megabytes,
//! more imports at once than the server reads, MDS/SDS "PDFs" that are not PDFs. Each is
//! refused with a bilingual message, and nothing is stored.

use super::*;

on_both_engines!(
    a_workbook_bomb_is_refused_and_nothing_is_stored,
    imports_beyond_the_limit_are_told_to_retry,
    a_pdf_that_does_not_parse_is_refused,
);

/// A workbook of ~200 KB whose sheet expands to 200 MB, as the one reported.
fn bomb() -> Vec<u8> {
    mamori_reports::workbook::bomb(200 * 1024 * 1024, "", &[])
}

const XLSX: &str = mamori_reports::ledger::XLSX_CONTENT_TYPE;

async fn a_workbook_bomb_is_refused_and_nothing_is_stored(app: &TestApp) {
    let bomb = bomb();
    assert!(bomb.len() < 512 * 1024, "{} bytes", bomb.len());
    let devices = app.devices(CLINIC).await.len();

    // The ledger import API, previewing and committing.
    let clinic = app.token("demo-clinic").await;
    for query in ["", "?commit=true"] {
        let path = format!("/api/v1/institutions/{CLINIC}/devices/import{query}");
        let r = app.upload(&path, &clinic, XLSX, bomb.clone()).await;
        r.assert_bilingual_error(StatusCode::PAYLOAD_TOO_LARGE, "workbook_too_large");
        assert!(r.message_ja().contains("上限の96MB"), "{}", r.body);
        assert!(r.message_en().contains("limit of 96 MB"), "{}", r.body);
    }

    // The ledger import page.
    let web = app.web_login("demo-clinic").await;
    let r = app
        .send(ledger_import_request(&web, "bomb.xlsx", XLSX, &bomb))
        .await
        .assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    r.assert_body_contains("上限の96MB");
    assert!(r.hidden("token").is_none(), "nothing to confirm");
    assert_eq!(app.devices(CLINIC).await.len(), devices, "nothing stored");

    // The 確保事業 files: quotas (national office) and a prefecture's ranking.
    let year = app.year();
    let base = format!("/api/v1/programs/{year}");
    let tokyo = app.token("demo-prefecture-13").await;
    let selection_path = format!("{base}/prefectures/13/selection");
    let selection = app.api_get_ok(&selection_path, &tokyo).await;
    let national = app.token("demo-national").await;
    for (path, token, code) in [
        (format!("{base}/quotas"), &national, "invalid_quota_file"),
        (
            format!("{base}/prefectures/13/ranking.xlsx"),
            &tokyo,
            "invalid_ranking_file",
        ),
    ] {
        let r = app
            .send(
                Request::put(path.as_str())
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, XLSX)
                    .body(Body::from(bomb.clone()))
                    .expect("request"),
            )
            .await;
        r.assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, code);
        assert!(r.body.contains("96 MB"), "{path}: {}", r.body);
    }
    let after = app.api_get(&selection_path, &tokyo).await;
    assert_eq!(
        after.json(),
        selection.json(),
        "quotas and ranking unchanged"
    );
}

/// A request whose body arrives only when the returned sender sends it: the import it
/// starts holds its place meanwhile.
fn held_upload(path: &str, token: &str) -> (Request<Body>, tokio::sync::mpsc::Sender<Vec<u8>>) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    let request = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from_stream(stream))
        .expect("request");
    (request, tx)
}

async fn imports_beyond_the_limit_are_told_to_retry(app: &TestApp) {
    // A server that reads one import at a time, over the same database.
    let catalog = Catalog::load(&mamori_catalog::bundled_dir()).expect("catalog");
    let config = WebConfig {
        max_concurrent_imports: 1,
        ..WebConfig::default()
    };
    let state = AppState::new(app.state.store.clone(), catalog, config);
    let router = mamori_web::router(state.clone());
    let clinic = app.token("demo-clinic").await;
    let path = format!("/api/v1/institutions/{CLINIC}/devices/import?commit=true");

    // The first import waits for its body, holding the only place.
    let (request, body) = held_upload(&path, &clinic);
    let first = tokio::spawn(router.clone().oneshot(request));
    let mut turns = 0;
    while state.imports.available_permits() > 0 {
        turns += 1;
        assert!(turns < 100_000, "the first import never took its place");
        tokio::task::yield_now().await;
    }

    // The API: 429 with Retry-After, and nothing read.
    let csv = "管理番号,種別\nQ-001,端末PC\n";
    let request = Request::post(path.as_str())
        .header(header::AUTHORIZATION, format!("Bearer {clinic}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .expect("request");
    let r = app.send_to(&router, request).await;
    r.assert_bilingual_error(StatusCode::TOO_MANY_REQUESTS, "too_many_imports");
    assert!(
        r.headers.get(header::RETRY_AFTER).is_some(),
        "{:?}",
        r.headers
    );
    assert!(r.message_ja().contains("1件まで"), "{}", r.body);

    // The import page: the same, in the page.
    let web = app.web_login("demo-clinic").await;
    let r = app
        .send_to(
            &router,
            ledger_import_request(&web, "台帳.csv", "text/csv", csv.as_bytes()),
        )
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    r.assert_body_contains("ほかの取り込みを処理中です");
    assert!(r.hidden("token").is_none(), "nothing to confirm");

    // The first import ends; its place is free again.
    body.send(csv.as_bytes().to_vec()).await.expect("send");
    drop(body);
    let response = first.await.expect("task").expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(state.imports.available_permits(), 1);
    app.send_to(
        &router,
        ledger_import_request(&web, "台帳.csv", "text/csv", csv.as_bytes()),
    )
    .await
    .assert_status(StatusCode::OK);
}

async fn a_pdf_that_does_not_parse_is_refused(app: &TestApp) {
    let year = app.year();
    let base = format!("/api/v1/vendor/contracts/{VENDOR_CONTRACT}/deliveries");
    let vendor = app.token("demo-vendor").await;
    let before = app.deliveries(VENDOR_CONTRACT).await;
    let mut fake = b"%PDF-1.7\n".to_vec();
    fake.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    for bytes in [
        fake.clone(),
        b"%PDF-1.7".to_vec(),
        b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec(),
    ] {
        app.upload(
            &format!("{base}?kind=mds&delivered_on={year}-05-20&file_name=MDS.pdf"),
            &vendor,
            "application/pdf",
            bytes,
        )
        .await
        .assert_bilingual_error(StatusCode::UNPROCESSABLE_ENTITY, "unreadable_pdf");
    }
    let web = app.web_login("demo-vendor").await;
    let form_path = format!("/vendor/contracts/{VENDOR_CONTRACT}/{year}");
    let r = app
        .post_delivery_form(
            &web,
            &format!("{form_path}/deliveries"),
            "mds",
            &format!("{year}-06-02"),
            Some(("MDS.pdf", &fake)),
        )
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_body_contains("PDFとして読めません");
    assert_eq!(
        app.deliveries(VENDOR_CONTRACT).await,
        before,
        "nothing stored"
    );

    // A real PDF is kept.
    app.upload(
        &format!("{base}?kind=mds&delivered_on={year}-05-20&file_name=MDS.pdf"),
        &vendor,
        "application/pdf",
        TINY_PDF.to_vec(),
    )
    .await
    .assert_status(StatusCode::CREATED);
    assert_eq!(app.deliveries(VENDOR_CONTRACT).await, before + 1);
}
