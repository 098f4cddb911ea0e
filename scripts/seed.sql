-- Seeds a benchmark database: :sources sources × :per_source entries of
-- Vietnamese and English news (titles with diacritics, folded search vectors
-- weighted like Tributary's own, one story per entry), spread over the last
-- 90 days, the same on every run. On a migrated, empty database:
--   psql "$DATABASE_URL" -v sources=2000 -v per_source=500 -f scripts/seed.sql
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO sources (url, title, tags, origin, enabled, last_polled_at, last_status, next_poll_at)
SELECT format('https://source%s.example/rss', s), format('Nguồn %s', s),
       CASE WHEN s % 2 = 0 THEN ARRAY['vi', 'news'] ELSE ARRAY['en', 'news'] END,
       'cli', FALSE, now(), 200, now() + interval '1 day'
FROM generate_series(1, :sources) s;

INSERT INTO entries (source_id, identity, guid, url, canonical_url, title, summary, content_html,
                     published_at, fetched_at, sort_at, raw_hash, search)
SELECT src.id, 'g:' || src.id || '-' || n, src.id || '-' || n,
       format('https://source%s.example/news/%s.html', src.id, n),
       format('https://source%s.example/news/%s.html', src.id, n),
       array_to_string(a.words[1:10], ' '),
       array_to_string(a.words[11:30], ' '),
       '<p>' || array_to_string(a.words[11:30], ' ') || '</p>',
       d.ts, d.ts, d.ts, decode(md5(src.id || '-' || n), 'hex'),
       (SELECT string_agg(format('''%s'':%s', f, CASE WHEN m <= 10 THEN '1A' ELSE '2' END), ' ')
          FROM (SELECT f, min(o) AS m FROM unnest(a.folded) WITH ORDINALITY u(f, o) GROUP BY f) g)::tsvector
FROM sources src
CROSS JOIN generate_series(1, :per_source) n
CROSS JOIN LATERAL (SELECT now() - make_interval(secs => (src.id * 7919 + n * 104729) % 7776000) AS ts) d
CROSS JOIN LATERAL (
    SELECT array_agg(CASE WHEN src.id % 2 = 0 THEN vw[k] ELSE ew[k] END ORDER BY i) AS words,
           array_agg(CASE WHEN src.id % 2 = 0 THEN vf[k] ELSE ew[k] END ORDER BY i) AS folded
    FROM (SELECT ARRAY['Hải','Phòng','Đảng','ủy','Trường','Sa','thành','phố','khởi','công','cảng','biển','kinh','tế','người','dân','phát','triển','dự','án','giao','thông','mưa','lớn','ngư','tàu','cá','giá','vàng','Đà','Nẵng','Huế','Cần','Thơ','lúa','gạo','xuất','khẩu','Hà','Nội','Sài','Gòn','Quảng','Ninh','Bình','Định','Nghệ','An','Thanh','Hóa','bệnh','viện','trường','học','sinh','giáo','dục','nông','nghiệp','doanh','ngân','hàng','lãi','suất','chứng','khoán','thị','điện','lực','năng','lượng','du','lịch','văn','hóa','thể','thao','bóng','đá','đội','tuyển','quốc','gia','hội','nghị','chính','phủ','luật','đất','đai','nhà','ở','xây','dựng','cầu','đường','sắt','sân','bay','không','mùa','bão','lũ','sạt','lở','cứu','hộ','môi','rác','thải','nước','sạch','nghệ','đầu','tư','ngoài','nhập','lao','động','việc','làm','tiền','lương','bảo','hiểm','y','vắc','xin','dịch','an','ninh'] AS vw,
                 ARRAY['hai','phong','dang','uy','truong','sa','thanh','pho','khoi','cong','cang','bien','kinh','te','nguoi','dan','phat','trien','du','an','giao','thong','mua','lon','ngu','tau','ca','gia','vang','da','nang','hue','can','tho','lua','gao','xuat','khau','ha','noi','sai','gon','quang','ninh','binh','dinh','nghe','an','thanh','hoa','benh','vien','truong','hoc','sinh','giao','duc','nong','nghiep','doanh','ngan','hang','lai','suat','chung','khoan','thi','dien','luc','nang','luong','du','lich','van','hoa','the','thao','bong','da','doi','tuyen','quoc','gia','hoi','nghi','chinh','phu','luat','dat','dai','nha','o','xay','dung','cau','duong','sat','san','bay','khong','mua','bao','lu','sat','lo','cuu','ho','moi','rac','thai','nuoc','sach','nghe','dau','tu','ngoai','nhap','lao','dong','viec','lam','tien','luong','bao','hiem','y','vac','xin','dich','an','ninh'] AS vf,
                 ARRAY['port','city','terminal','farmers','delta','rice','salt','market','record','growth','investment','minister','policy','school','hospital','storm','flood','exports','bank','rates','startup','technology','election','council','energy','tourism','culture','football','team','national','conference','government','parliament','law','housing','construction','bridge','railway','airport','airline','season','rescue','environment','waste','water','vaccine','security','labour','jobs','wages','insurance','health','court','police','crime','budget','tax','inflation','currency','shipping','container','fishing','weather','forecast','typhoon','drought','harvest','coffee','pepper','rubber','textile','factory','workers','students','university','research','science','climate','coast','island','border','trade','agreement','summit','visit'] AS ew) w
    CROSS JOIN generate_series(1, 30) i
    CROSS JOIN LATERAL (SELECT 1 + abs(hashint8(src.id * 1000003 + n * 101 + i))
                               % CASE WHEN src.id % 2 = 0 THEN 131 ELSE 85 END AS k) kk
) a;

-- One story per entry, headed by it.
INSERT INTO stories (head_entry_id, sort_at) SELECT id, sort_at FROM entries;
UPDATE entries e SET story_id = s.id FROM stories s WHERE s.head_entry_id = e.id;
COMMIT;
ANALYZE;
