//! The page's own words in the reader's language (Vietnamese or English,
//! from `Accept-Language`), and times relative to now ("3 giờ trước").

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Vi,
}

impl Lang {
    /// The first language of `Accept-Language` (by q-value) that we speak.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let mut prefs: Vec<(f32, Lang)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let tag = it.next()?.trim().to_ascii_lowercase();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let lang = match tag.split('-').next()? {
                    "vi" => Lang::Vi,
                    "en" => Lang::En,
                    _ => return None,
                };
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        // Stable: among equal q-values the first listed wins.
        prefs.sort_by(|a, b| b.0.total_cmp(&a.0));
        prefs.first().map(|p| p.1).unwrap_or(Lang::En)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    pub fn t(self, key: Text) -> &'static str {
        use Text::*;
        match (self, key) {
            (Lang::En, Search) => "Search",
            (Lang::Vi, Search) => "Tìm kiếm",
            (Lang::En, SearchPlaceholder) => "Search stories (accents optional)",
            (Lang::Vi, SearchPlaceholder) => "Tìm tin (gõ có dấu hay không dấu đều được)",
            (Lang::En, Older) => "Older stories →",
            (Lang::Vi, Older) => "Tin cũ hơn →",
            (Lang::En, Newest) => "Newest",
            (Lang::Vi, Newest) => "Mới nhất",
            (Lang::En, AlsoIn) => "Also in:",
            (Lang::Vi, AlsoIn) => "Cũng có trên:",
            (Lang::En, Subscribe) => "Subscribe:",
            (Lang::Vi, Subscribe) => "Theo dõi:",
            (Lang::En, Sources) => "Sources",
            (Lang::Vi, Sources) => "Nguồn tin",
            (Lang::En, NoStories) => "No stories here yet.",
            (Lang::Vi, NoStories) => "Chưa có tin nào.",
            (Lang::En, NoResults) => "Nothing matches this search.",
            (Lang::Vi, NoResults) => "Không tìm thấy tin phù hợp.",
            (Lang::En, ResultsFor) => "Search results for",
            (Lang::Vi, ResultsFor) => "Kết quả tìm kiếm cho",
            (Lang::En, FromSource) => "Stories from",
            (Lang::Vi, FromSource) => "Tin từ",
            (Lang::En, ShowAll) => "show all",
            (Lang::Vi, ShowAll) => "xem tất cả",
            (Lang::En, Channels) => "Channels",
            (Lang::Vi, Channels) => "Kênh",
            (Lang::En, Source) => "Source",
            (Lang::Vi, Source) => "Nguồn",
            (Lang::En, Status) => "Status",
            (Lang::Vi, Status) => "Trạng thái",
            (Lang::En, LastPoll) => "Last poll",
            (Lang::Vi, LastPoll) => "Lần lấy tin cuối",
            (Lang::En, NextPoll) => "Next poll",
            (Lang::Vi, NextPoll) => "Lần tới",
            (Lang::En, Failures) => "Failures",
            (Lang::Vi, Failures) => "Lỗi liên tiếp",
            (Lang::En, Entries) => "Entries",
            (Lang::Vi, Entries) => "Số tin",
            (Lang::En, LastError) => "Last error",
            (Lang::Vi, LastError) => "Lỗi gần nhất",
            (Lang::En, Never) => "never",
            (Lang::Vi, Never) => "chưa",
            (Lang::En, Disabled) => "disabled",
            (Lang::Vi, Disabled) => "đã tắt",
            (Lang::En, Broken) => "failing",
            (Lang::Vi, Broken) => "đang lỗi",
            (Lang::En, Healthy) => "ok",
            (Lang::Vi, Healthy) => "ổn",
            (Lang::En, Pending) => "not polled yet",
            (Lang::Vi, Pending) => "chưa lấy tin",
            (Lang::En, Back) => "Back to the stories",
            (Lang::Vi, Back) => "Về trang tin",
            (Lang::En, SourcesSummary) => "sources, failing:",
            (Lang::Vi, SourcesSummary) => "nguồn, đang lỗi:",
        }
    }

    /// "5 minutes ago" / "5 phút trước"; "in 3 minutes" for the future.
    pub fn relative(self, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let secs = (now - at).num_seconds();
        let future = secs < 0;
        let s = secs.unsigned_abs();
        let (n, unit) = match s {
            0..=59 => return self.just_now().to_owned(),
            60..=3599 => (s / 60, Unit::Minute),
            3600..=86_399 => (s / 3600, Unit::Hour),
            86_400..=2_591_999 => (s / 86_400, Unit::Day),
            2_592_000..=31_535_999 => (s / 2_592_000, Unit::Month),
            _ => (s / 31_536_000, Unit::Year),
        };
        match self {
            Lang::Vi => {
                let u = match unit {
                    Unit::Minute => "phút",
                    Unit::Hour => "giờ",
                    Unit::Day => "ngày",
                    Unit::Month => "tháng",
                    Unit::Year => "năm",
                };
                if future {
                    format!("{n} {u} nữa")
                } else {
                    format!("{n} {u} trước")
                }
            }
            Lang::En => {
                let u = match unit {
                    Unit::Minute => "minute",
                    Unit::Hour => "hour",
                    Unit::Day => "day",
                    Unit::Month => "month",
                    Unit::Year => "year",
                };
                let plural = if n == 1 { "" } else { "s" };
                if future {
                    format!("in {n} {u}{plural}")
                } else {
                    format!("{n} {u}{plural} ago")
                }
            }
        }
    }

    fn just_now(self) -> &'static str {
        match self {
            Lang::En => "just now",
            Lang::Vi => "vừa xong",
        }
    }
}

enum Unit {
    Minute,
    Hour,
    Day,
    Month,
    Year,
}

/// Words of the page.
#[derive(Debug, Clone, Copy)]
pub enum Text {
    Search,
    SearchPlaceholder,
    Older,
    Newest,
    AlsoIn,
    Subscribe,
    Sources,
    NoStories,
    NoResults,
    ResultsFor,
    FromSource,
    ShowAll,
    Channels,
    Source,
    Status,
    LastPoll,
    NextPoll,
    Failures,
    Entries,
    LastError,
    Never,
    Disabled,
    Broken,
    Healthy,
    Pending,
    Back,
    SourcesSummary,
}

/// The exact time for the hover text before the script localizes it.
pub fn exact(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn accept_language_picks_the_preferred_language_we_speak() {
        assert_eq!(Lang::negotiate(Some("vi-VN,vi;q=0.9,en;q=0.8")), Lang::Vi);
        assert_eq!(Lang::negotiate(Some("fr-FR, en;q=0.5, vi;q=0.4")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en;q=0.3, vi;q=0.9")), Lang::Vi);
        assert_eq!(Lang::negotiate(Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some(";;,q=,vi;q=abc")), Lang::Vi);
    }

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(
            Lang::Vi.relative(now - Duration::hours(3), now),
            "3 giờ trước"
        );
        assert_eq!(
            Lang::En.relative(now - Duration::minutes(1), now),
            "1 minute ago"
        );
        assert_eq!(
            Lang::En.relative(now - Duration::days(2), now),
            "2 days ago"
        );
        assert_eq!(
            Lang::En.relative(now - Duration::seconds(5), now),
            "just now"
        );
        assert_eq!(
            Lang::Vi.relative(now + Duration::minutes(10), now),
            "10 phút nữa"
        );
    }
}
