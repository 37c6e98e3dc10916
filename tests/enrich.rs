use crate::util::*;

/// The samples' addresses resolve in the MaxMind test databases: the attacker's hosting /
/// Tor address, the second attacker host in CN, the office in SE, the CI runner in the US.
#[test]
fn geoip_asn_anonymizer_and_client_columns() {
    let dir = TestDir::new();
    let out = dir.path().join("events.ndjson");
    let rows = ingest_rows(&out, &["--geoip", "tests/fixtures/geoip", "samples/logs"]);
    let first_of = |ip: &str| {
        rows.iter()
            .find(|r| r["src_ip"] == ip)
            .unwrap_or_else(|| panic!("no row for {ip}"))
            .clone()
    };
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("samples/truth.json")).unwrap())
            .unwrap();
    let ips: Vec<&str> = truth["attacker_ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let probe = ips.iter().find(|ip| ip.starts_with("81.2.69.")).unwrap();
    let burst = ips.iter().find(|ip| ip.starts_with("175.16.199.")).unwrap();
    let attacker = first_of(probe);
    assert_eq!(attacker["geo_country"], "GB");
    assert_eq!(attacker["geo_city"], "London");
    let lat = attacker["geo_lat"].as_f64().expect("London has a location");
    let lon = attacker["geo_lon"].as_f64().expect("London has a location");
    assert!((lat - 51.5).abs() < 0.5 && lon.abs() < 0.5, "{lat},{lon}");
    assert_eq!(attacker["anonymizer"], "tor");
    assert_eq!(attacker["ip_class"], "public");
    assert_eq!(attacker["network"], "81.2.69.0/24");
    assert!(
        attacker["asn"].is_null(),
        "the ASN test database lacks 81.2.69.0/24"
    );
    assert_eq!(attacker["client_family"], "python-requests/2");
    assert_eq!(attacker["client_kind"], "library");
    let office = first_of("89.160.20.130");
    assert_eq!(office["geo_country"], "SE");
    assert_eq!(office["asn"], 29518);
    assert!(office["anonymizer"].is_null());
    assert_eq!(first_of(burst)["geo_city"], "Changchun");
    let travel = rows
        .iter()
        .find(|r| r["src_ip"].as_str().unwrap().starts_with("214.78."))
        .unwrap();
    assert_eq!(
        (travel["geo_country"].as_str(), travel["asn"].as_u64()),
        (Some("US"), Some(721))
    );
    let nightly = first_of("71.160.223.17");
    assert_eq!(nightly["anonymizer"], "hosting");
    assert_eq!(first_of("216.160.83.58")["geo_country"], "US");
    let builds = rows
        .iter()
        .find(|r| r["action"] == "GET /api/v1/projects/17/builds")
        .unwrap();
    assert_eq!(builds["route"], "GET /api/v1/projects/{id}/builds");
    assert!(first_of(burst)["route"].is_string() || first_of(burst)["source"] != "nginx");
    let scanner = rows
        .iter()
        .find(|r| r["client_kind"] == "attack_tool")
        .unwrap();
    assert_eq!(scanner["client_family"], "zgrab");
}

#[test]
fn without_databases_classes_and_prefixes_still_work() {
    let dir = TestDir::new();
    let out = dir.path().join("events.ndjson");
    let rows = ingest_rows(&out, &["tests/fixtures/nginx/access.log"]);
    let first = &rows[0];
    assert_eq!(first["ip_class"], "public");
    assert_eq!(first["network"], "77.179.66.0/24");
    assert!(first["geo_country"].is_null());
    assert_eq!(first["client_kind"], "browser");
}

#[test]
fn a_wrong_geoip_folder_is_a_usage_error() {
    let run = tokentrail(&["stats", "--geoip", "tests/fixtures/nginx", "samples/logs"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no MaxMind database"), "{}", run.stderr);
}
