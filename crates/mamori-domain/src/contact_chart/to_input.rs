//! From a chart back to its input: the API gives a stored chart in the shape it takes one
//! ([`ContactChartInput`]), so that what a client reads it can send back unchanged.

use super::{
    ContactChart, ContactChartInput, ContactEntry, ContactEntryInput, InternalContactInput,
    OutsideContactInput, VendorContactInput,
};

impl ContactEntry {
    /// The entry as written: phones in their grouping (`03-5253-1111 内線4392`), the e-mail
    /// address (empty when none), the hours as their label (`平日 9:00〜17:00`, `24時間365日`
    /// or the text as written). Each reads back as the same value.
    pub fn to_input(&self) -> ContactEntryInput {
        ContactEntryInput {
            name: self.name.clone(),
            organisation: self.organisation.clone(),
            phones: self.phones.iter().map(|p| p.display_ja()).collect(),
            email: self
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            hours: self
                .hours
                .as_ref()
                .map(|h| h.label_ja())
                .unwrap_or_default(),
            notes: self.notes.clone(),
        }
    }
}

impl ContactChart {
    /// The input that [`ContactChartInput::parse`] (with the same contracts) turns back into
    /// this chart.
    pub fn to_input(&self) -> ContactChartInput {
        ContactChartInput {
            institution_name: self.institution_name.clone(),
            revised_on: self.revised_on,
            internal: self
                .internal
                .iter()
                .map(|c| InternalContactInput {
                    roles: c.roles.clone(),
                    title: c.title.clone(),
                    entry: c.entry.to_input(),
                })
                .collect(),
            vendors: self
                .vendors
                .iter()
                .map(|c| VendorContactInput {
                    contract_id: c.contract_id,
                    entry: c.entry.to_input(),
                })
                .collect(),
            outside: self
                .outside
                .iter()
                .map(|c| OutsideContactInput {
                    body: c.body,
                    entry: c.entry.to_input(),
                })
                .collect(),
            call_order: self.call_order.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{contracts, entry, sample_input};
    use super::super::{ContactEntryInput, InternalContactInput, InternalRole};
    use super::*;

    fn round_trips(input: ContactChartInput) {
        let chart = input.parse(&contracts()).expect("valid chart");
        let written = chart.to_input();
        assert_eq!(
            written.parse(&contracts()).as_ref(),
            Ok(&chart),
            "{written:#?}"
        );
        // Written again, it is the same text: a client that reads and writes back sees no
        // drift.
        assert_eq!(
            written.parse(&contracts()).expect("valid chart").to_input(),
            written
        );
    }

    #[test]
    fn a_chart_reads_back_from_its_input() {
        round_trips(sample_input());
    }

    #[test]
    fn every_kind_of_hours_phone_and_address_reads_back() {
        let mut input = sample_input();
        for (i, (hours, phones, email)) in [
            ("毎日 9:00～21:00", vec!["+81 (0)3 1234 5678"], ""),
            (
                "平日９時〜１７時３０分",
                vec!["#9110", "110"],
                "Isei-CS@MHLW.go.JP",
            ),
            ("24h", vec!["03-5253-1111（内線 4392）"], ""),
            ("平日昼のみ、夜間は当番携帯", vec!["0120123456"], ""),
            ("", vec![], "ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｊｐ"),
        ]
        .into_iter()
        .enumerate()
        {
            input.internal.push(InternalContactInput {
                roles: vec![InternalRole::Other, InternalRole::SystemStaff],
                title: format!(" 担当{i} "),
                entry: ContactEntryInput {
                    hours: hours.into(),
                    email: email.into(),
                    notes: " 備考 ".into(),
                    ..entry(&format!("担当 {i}"), "", &phones)
                },
            });
        }
        round_trips(input);
    }

    #[test]
    fn entries_are_flat_as_a_client_sends_them() {
        let chart = sample_input().parse(&contracts()).expect("valid chart");
        let json = serde_json::to_value(chart.to_input()).expect("json");
        let first = &json["internal"][1];
        assert_eq!(first["name"], "佐藤 花子");
        assert_eq!(first["phones"][0], "03-1234-5100 内線210");
        assert_eq!(first["hours"], "平日 8:30〜17:15");
        assert!(first.get("entry").is_none(), "{first}");
        assert_eq!(
            json["vendors"][0]["organisation"],
            "株式会社みなとメディカルシステムズ"
        );
    }
}
