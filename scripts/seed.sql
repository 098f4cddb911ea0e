-- Seeds a benchmark database: :sources sources × :per_source entries of
-- Vietnamese and English news (titles with diacritics, folded search vectors
-- weighted like Tributary's own, one story per entry), spread over the last
-- 90 days, the same on every run. On a migrated, empty database:
--   psql "$DATABASE_URL" -v sources=2000 -v per_source=500 -f scripts/seed.sql
--
-- With -v recent_every=K, one entry in K (by hash) lies in the last 14 days
-- (the near-duplicate key horizon) and the rest 14-365 days back: databases
-- of different sizes then hold the same recent entries, and differ only in
-- history (what "cost as the table grows" should compare).
\set ON_ERROR_STOP on
\if :{?recent_every}
\else
\set recent_every 0
\endif
BEGIN;
INSERT INTO sources (url, title, tags, origin, enabled, last_polled_at, last_status, next_poll_at)
SELECT format('https://archive%s.example/rss', s), format('Nguồn %s', s),
       CASE WHEN s % 2 = 0 THEN ARRAY['vi', 'news'] ELSE ARRAY['en', 'news'] END,
       'cli', FALSE, now(), 200, now() + interval '1 day'
FROM generate_series(1, :sources) s;

-- Each entry: a named entity (a province, an agency, a city: what people
-- search for) in its title, and 30 common words drawn by hash, so the data is
-- the same on every run and an entity search matches about 1 entry in 30-60.
WITH rows AS (
SELECT src.id AS source_id, 'g:' || src.id || '-' || n AS identity, src.id || '-' || n AS guid,
       -- Not gen_feeds.py's addresses (https://sourceN.example/news/M.html): a
       -- benchmark's new entries must not join seeded stories by URL, or a
       -- bigger seed would mean other work, not a bigger table.
       format('https://archive%s.example/news/%s.html', src.id, n) AS url,
       a.entity || ' ' || array_to_string(a.words[1:8], ' ') AS title,
       array_to_string(a.words[9:30], ' ') AS summary,
       d.ts, decode(md5(src.id || '-' || n), 'hex') AS raw_hash,
       (SELECT string_agg(format('''%s'':%s', f, CASE WHEN m <= 10 THEN '1A' ELSE '2' END), ' ')
          FROM (SELECT f, min(o) AS m
                FROM unnest(a.entity_folded || a.folded[1:8] || a.folded[9:30]) WITH ORDINALITY u(f, o)
                GROUP BY f) g)::tsvector AS vec
FROM sources src
CROSS JOIN generate_series(1, :per_source) n
CROSS JOIN LATERAL (SELECT CASE
    WHEN :recent_every = 0 THEN now() - make_interval(secs => (src.id * 7919 + n * 104729) % 7776000)
    WHEN abs(hashint8(src.id * 1000003 + n)) % :recent_every = 0
        THEN now() - make_interval(secs => (src.id * 7919 + n * 104729) % 1209600)
    ELSE now() - interval '14 days' - make_interval(secs => (src.id * 7919 + n * 104729) % 30326400)
    END AS ts) d
CROSS JOIN LATERAL (
    SELECT CASE WHEN src.id % 2 = 0 THEN ve[ek] ELSE ee[ek] END AS entity,
           regexp_split_to_array(CASE WHEN src.id % 2 = 0 THEN vef[ek] ELSE lower(ee[ek]) END, ' ') AS entity_folded,
           array_agg(CASE WHEN src.id % 2 = 0 THEN vw[k] ELSE ew[k] END ORDER BY i) AS words,
           array_agg(CASE WHEN src.id % 2 = 0 THEN vf[k] ELSE ew[k] END ORDER BY i) AS folded
    FROM (SELECT ARRAY['Hải Phòng','Đà Nẵng','Quảng Ninh','Cần Thơ','Thừa Thiên Huế','Bình Định','Nghệ An','Thanh Hóa','Khánh Hòa','Lâm Đồng','Đắk Lắk','Gia Lai','Kiên Giang','Cà Mau','Bạc Liêu','Sóc Trăng','Trà Vinh','Bến Tre','Tiền Giang','Long An','Đồng Nai','Bình Dương','Bà Rịa','Tây Ninh','Bình Phước','Lào Cai','Yên Bái','Hà Giang','Cao Bằng','Lạng Sơn','Thái Nguyên','Bắc Ninh','Hưng Yên','Nam Định','Ninh Bình','Hà Tĩnh','Quảng Bình','Quảng Trị','Quảng Nam','Quảng Ngãi','Phú Yên','Ninh Thuận','Bình Thuận','Kon Tum','Đắk Nông','Vĩnh Long','Hậu Giang','An Giang','Đồng Tháp','Trường Sa','Hoàng Sa','Côn Đảo','Phú Quốc','Đảng ủy','Quốc hội','Chính phủ','Bộ Y tế','Bộ Tài chính','Ngân hàng Nhà nước','Tổng cục Thống kê'] AS ve,
                 ARRAY['hai phong','da nang','quang ninh','can tho','thua thien hue','binh dinh','nghe an','thanh hoa','khanh hoa','lam dong','dak lak','gia lai','kien giang','ca mau','bac lieu','soc trang','tra vinh','ben tre','tien giang','long an','dong nai','binh duong','ba ria','tay ninh','binh phuoc','lao cai','yen bai','ha giang','cao bang','lang son','thai nguyen','bac ninh','hung yen','nam dinh','ninh binh','ha tinh','quang binh','quang tri','quang nam','quang ngai','phu yen','ninh thuan','binh thuan','kon tum','dak nong','vinh long','hau giang','an giang','dong thap','truong sa','hoang sa','con dao','phu quoc','dang uy','quoc hoi','chinh phu','bo y te','bo tai chinh','ngan hang nha nuoc','tong cuc thong ke'] AS vef,
                 ARRAY['Singapore','Mekong','Hanoi','Bangkok','Jakarta','Manila','Kuala Lumpur','Phnom Penh','Yangon','Vientiane','Tokyo','Seoul','Beijing','Shanghai','Hong Kong','Taipei','Mumbai','Sydney','ASEAN','World Bank','IMF','typhoon Yagi','El Nino','Red River','Lach Huyen','Cai Mep','Saigon Port','Vietnam Airlines','VinFast','Samsung'] AS ee,
                 ARRAY['người','dân','phố','công','trình','dự','kinh','phát','triển','giao','đầu','tư','doanh','nghiệp','thị','sản','xuất','khẩu','nay','tháng','qua','tăng','sách','quy','khai','hoạch','mục','tiêu','giải','pháp','cơ','quan','chức','lực','lượng','hỗ','trợ','bảo','đảm','toàn','môi','lúa','gạo','thủy','du','lịch','văn','giáo','dục','học','sinh','bệnh','viện','sức','khỏe','mưa','lớn','bão','lũ','sạt','lở','cứu','hộ','tàu','ngư','cảng','biển','không','sân','bay','sắt','tốc','xây','dựng','ở','đất','đai','điện','số','khởi','việc'] AS vw,
                 ARRAY['nguoi','dan','pho','cong','trinh','du','kinh','phat','trien','giao','dau','tu','doanh','nghiep','thi','san','xuat','khau','nay','thang','qua','tang','sach','quy','khai','hoach','muc','tieu','giai','phap','co','quan','chuc','luc','luong','ho','tro','bao','dam','toan','moi','lua','gao','thuy','du','lich','van','giao','duc','hoc','sinh','benh','vien','suc','khoe','mua','lon','bao','lu','sat','lo','cuu','ho','tau','ngu','cang','bien','khong','san','bay','sat','toc','xay','dung','o','dat','dai','dien','so','khoi','viec'] AS vf,
                 ARRAY['city','officials','said','market','record','growth','investment','minister','policy','school','hospital','storm','flood','exports','rates','startup','technology','election','council','energy','tourism','government','parliament','law','housing','construction','railway','airport','season','rescue','environment','water','security','jobs','wages','insurance','health','court','budget','tax','inflation','shipping','container','fishing','weather','forecast','drought','harvest','coffee','rice','factory','workers','students','research','climate','coast','island','border','trade','agreement','summit','week','year','month','company','report','plan','project','people','country','region'] AS ew) w
    CROSS JOIN LATERAL (SELECT 1 + abs(hashint8(src.id * 7 + n * 13)) % CASE WHEN src.id % 2 = 0 THEN 60 ELSE 30 END AS ek) eek
    CROSS JOIN generate_series(1, 30) i
    CROSS JOIN LATERAL (SELECT 1 + abs(hashint8(src.id * 1000003 + n * 101 + i))
                               % CASE WHEN src.id % 2 = 0 THEN 81 ELSE 71 END AS k) kk
    GROUP BY ve, vef, ee, ek
) a
),
ins AS (
    -- Near-duplicate signatures drawn by hash: what matters for ingest cost
    -- is how many keys the story window holds.
    INSERT INTO entries (source_id, identity, guid, url, canonical_url, title, summary, content_html,
                         published_at, fetched_at, sort_at, raw_hash, simhash, number_sketch, passages)
    SELECT source_id, identity, guid, url, url, title, summary, '<p>' || summary || '</p>', ts, ts, ts,
           raw_hash, hashtextextended(identity, 1), hashtextextended(identity, 2),
           ARRAY(SELECT hashtextextended(identity, 100 + i) AS h FROM generate_series(1, 16) i ORDER BY h)
    -- In time order, as entries arrive from pollers: recent rows share pages.
    FROM rows ORDER BY ts
    RETURNING id, source_id, sort_at, identity, simhash, passages
),
near AS (
    -- As pruning leaves them: keys of the last 14 days only, 4 bands and
    -- the 8 smallest shingle hashes per entry.
    -- (band keys carry the SimHash, migration 0011).
    INSERT INTO near_keys (key, sort_at, entry_id, simhash)
    SELECT k, ins.sort_at, ins.id, NULL FROM ins, LATERAL unnest(ins.passages[1:8]) k
    WHERE ins.sort_at > now() - interval '14 days'
    UNION ALL
    SELECT (b::bigint << 16) | ((ins.simhash >> (16 * b)) & 65535), ins.sort_at, ins.id, ins.simhash
    FROM ins, generate_series(0, 3) b
    WHERE ins.sort_at > now() - interval '14 days'
)
INSERT INTO entry_search (entry_id, source_id, sort_at, search)
SELECT ins.id, ins.source_id, ins.sort_at, search_document(rows.vec || search_title_marks(rows.vec), ins.sort_at)
FROM ins JOIN rows USING (source_id, identity);

-- One story per entry, headed by it.
INSERT INTO stories (head_entry_id, sort_at) SELECT id, sort_at FROM entries;
UPDATE entries e SET story_id = s.id FROM stories s WHERE s.head_entry_id = e.id;
COMMIT;
-- The story_id UPDATE left a dead version of every row; autovacuum would
-- clean them up over time, a benchmark needs it done now.
VACUUM ANALYZE;
