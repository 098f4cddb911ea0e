#!/usr/bin/env python3
"""Writes the extraction evaluation set: each article of articles.txt in
the layout of a kind of site (the clutter real pages carry), as
pages/NN.html, and what a person would call the article as expected/NN.txt.

Run from anywhere: python3 tests/data/extraction/generate.py
The pages are committed; rerun only after changing articles or layouts.
"""

import html
import pathlib
import unicodedata

HERE = pathlib.Path(__file__).resolve().parent

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text):
    """windows-1258 bytes: base letters precomposed, tones combining."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        tones = "".join(c for c in parts if c in TONES)
        out += (base + tones).encode("cp1258", errors="xmlcharrefreplace")
    return bytes(out)


def read_articles():
    articles, current, body = [], None, None
    for line in (HERE / "articles.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and current is None:
            continue
        if line.startswith("=== "):
            current = {"id": line[4:].strip(), "body": []}
            articles.append(current)
            continue
        if current is None or not line.strip():
            continue
        key, sep, value = line.partition(": ")
        if sep and key in ("template", "charset", "title", "author", "date", "caption", "lead") and not current["body"]:
            current[key] = value.strip()
        else:
            current["body"].append(line.strip())
    return articles


def e(s):
    return html.escape(s, quote=True)


def body_html(a, p_attr="", h_tag="h2"):
    out, in_list = [], False
    for line in a["body"]:
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{e(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<{h_tag}>{e(line[3:])}</{h_tag}>")
        elif line.startswith("> "):
            out.append(f"<blockquote><p>{e(line[2:])}</p></blockquote>")
        else:
            out.append(f"<p{p_attr}>{e(line)}</p>")
    if in_list:
        out.append("</ul>")
    return out


def expected(a):
    lines = []
    if a.get("lead"):
        lines.append(a["lead"])
    for line in a["body"]:
        for prefix in ("## ", "- ", "> "):
            if line.startswith(prefix):
                line = line[len(prefix):]
        lines.append(line)
    return "\n".join(lines) + "\n"


def head(a, charset, lang, site):
    if charset == "utf-8":
        meta = '<meta charset="utf-8">'
    else:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
{meta}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(a['title'])} - {site}</title>
<meta property="og:title" content="{e(a['title'])}">
<meta property="og:type" content="article">
<meta name="description" content="{e(a.get('lead', a['body'][0]))[:150]}">
<link rel="stylesheet" href="/static/css/main.min.css?v=20261201">
<script async src="https://www.googletagmanager.com/gtag/js?id=G-XYZ123"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}gtag('js',new Date());</script>
</head>"""


def vnexpress(a, n):
    paras = body_html(a, ' class="Normal"')
    mid = len(paras) // 2
    figure = f"""<figure class="tplCaption"><div class="fig-picture"><img src="/images/{n}/anh-1.jpg" alt="{e(a['caption'])}" width="680" height="408"></div>
<figcaption><p class="Image">{e(a['caption'])}</p></figcaption></figure>"""
    related_inline = """<div class="box-tinlienquan"><ul class="list-news">
<li><h4 class="title-news"><a href="/tin-lien-quan-1.html">Phê duyệt chủ trương đầu tư tuyến đường sắt Lào Cai - Hà Nội - Hải Phòng</a></h4></li>
<li><h4 class="title-news"><a href="/tin-lien-quan-2.html">Cao tốc Bắc - Nam đoạn qua Nghệ An thông xe trước Tết</a></h4></li>
</ul></div>"""
    body = paras[:mid] + [figure] + paras[mid:mid + 1] + [related_inline] + paras[mid + 1:]
    return head(a, a.get("charset", "utf-8"), "vi", "VnExpress") + f"""
<body>
<header class="section header"><div class="container"><a class="logo" href="/">VnExpress</a>
<nav class="main-nav"><ul class="parent">
<li><a href="/thoi-su">Thời sự</a></li><li><a href="/goc-nhin">Góc nhìn</a></li><li><a href="/the-gioi">Thế giới</a></li>
<li><a href="/kinh-doanh">Kinh doanh</a></li><li><a href="/bat-dong-san">Bất động sản</a></li><li><a href="/khoa-hoc">Khoa học</a></li>
<li><a href="/giai-tri">Giải trí</a></li><li><a href="/the-thao">Thể thao</a></li><li><a href="/phap-luat">Pháp luật</a></li>
<li><a href="/giao-duc">Giáo dục</a></li><li><a href="/suc-khoe">Sức khỏe</a></li><li><a href="/doi-song">Đời sống</a></li>
</ul></nav><div class="search-box"><input type="text" placeholder="Tìm kiếm"></div></div></header>
<section class="section page-detail top-detail"><div class="container">
<div class="sidebar-1">
<div class="header-content"><ul class="breadcrumb"><li><a href="/thoi-su">Thời sự</a></li><li><a href="/thoi-su/giao-thong">Giao thông</a></li></ul>
<span class="date">Thứ bảy, {a['date'][:10]}, {a['date'][11:16]} (GMT+7)</span></div>
<h1 class="title-detail">{e(a['title'])}</h1>
{f'<p class="description">{e(a["lead"])}</p>' if a.get('lead') else ''}
<article class="fck_detail ">
{chr(10).join(body)}
<p class="Normal" style="text-align:right;"><strong>{e(a['author'])}</strong></p>
</article>
<div class="footer-content"><div class="tags"><h4 class="item-tag"><a href="/tag/ha-tang">Hạ tầng</a></h4><h4 class="item-tag"><a href="/tag/giao-thong">Giao thông</a></h4></div>
<div class="social_pin"><a class="btn_facebook" href="#" title="Chia sẻ Facebook">Chia sẻ</a><a class="btn_twitter" href="#">Tweet</a><a class="link_copy" href="#">Sao chép liên kết</a></div></div>
<div class="box_comment_vne"><h3 class="title_box_category">Ý kiến (3)</h3>
<div class="comment_item"><p class="full_content"><b class="nickname">Minh Hoàng</b> Mong dự án sớm hoàn thành, đi lại giờ cao điểm quá vất vả.</p><p class="block_like_web"><a class="link_reply">Trả lời</a> 124 thích</p></div>
<div class="comment_item"><p class="full_content"><b class="nickname">Thu Hà</b> Cần giám sát chặt chẽ chất lượng công trình, tránh đội vốn như nhiều dự án trước.</p><p class="block_like_web"><a class="link_reply">Trả lời</a> 87 thích</p></div>
<div class="comment_item"><p class="full_content"><b class="nickname">nguoidocbao</b> Tin vui cho người dân, cảm ơn báo đã đưa tin.</p></div>
<a class="view_more_coment" href="#">Xem thêm ý kiến</a></div>
<div class="box-category box-news-other"><h3 class="title-box">Xem thêm</h3><ul class="list-news">
<li><h3 class="title-news"><a href="/xem-them-1.html">Hà Nội đề xuất thu phí ôtô vào nội đô từ năm 2027</a></h3><p class="description">Thành phố dự kiến thu phí tại các cửa ngõ vành đai 1 và vành đai 2.</p></li>
<li><h3 class="title-news"><a href="/xem-them-2.html">Sân bay Long Thành đón chuyến bay thử nghiệm đầu tiên</a></h3><p class="description">Chiếc Airbus A321 hạ cánh an toàn sau 45 phút bay từ Tân Sơn Nhất.</p></li>
<li><h3 class="title-news"><a href="/xem-them-3.html">Giá xăng giảm lần thứ ba liên tiếp</a></h3></li>
</ul></div>
</div>
<div class="sidebar-2"><div class="box-category"><h3 class="title-box">Xem nhiều</h3><ol>
<li><a href="/a">Bão số 9 đổ bộ Khánh Hòa, gió giật cấp 14</a></li><li><a href="/b">Tỷ giá USD hôm nay tăng mạnh</a></li>
<li><a href="/c">Học sinh được nghỉ Tết Nguyên đán 14 ngày</a></li><li><a href="/d">Kết quả xổ số miền Bắc hôm nay</a></li></ol></div>
<div class="banner-ads" id="sis_inread"><span>Quảng cáo</span></div></div>
</div></section>
<footer class="footer"><div class="container"><p>Báo điện tử VnExpress. Tổng biên tập: Phạm Hiếu. Địa chỉ: Tầng 10, Tòa A FPT Tower, số 10 Phạm Văn Bạch, Dịch Vọng, Cầu Giấy, Hà Nội.</p>
<p>© 1997-2026. Toàn bộ bản quyền thuộc VnExpress.</p><ul class="footer-links"><li><a href="/lien-he">Liên hệ</a></li><li><a href="/quang-cao">Quảng cáo</a></li><li><a href="/dieu-khoan">Điều khoản sử dụng</a></li></ul></div></footer>
<script src="/static/js/detail.min.js"></script>
</body></html>
"""


def tuoitre(a, n):
    paras = body_html(a)
    related = """<div class="VCSortableInPreviewMode" type="RelatedNewsBox"><div class="kbwscwl-relatedbox type-1"><strong>Đọc thêm</strong><ul>
<li><a href="/doc-them-1.htm" title="TP.HCM đầu tư 6 tuyến metro trong 10 năm tới">TP.HCM đầu tư 6 tuyến metro trong 10 năm tới</a></li>
<li><a href="/doc-them-2.htm" title="Xe buýt điện lăn bánh trên 20 tuyến nội thành">Xe buýt điện lăn bánh trên 20 tuyến nội thành</a></li></ul></div></div>"""
    figure = f"""<figure class="VCSortableInPreviewMode" type="Photo"><div><img src="https://cdn.tuoitre.vn/{n}/anh.jpg" alt="{e(a['title'])}" title="{e(a['caption'])}"></div>
<figcaption class="PhotoCMS_Caption"><p data-placeholder="Nhập chú thích ảnh">{e(a['caption'])}</p></figcaption></figure>"""
    body = [figure] + paras[:2] + [related] + paras[2:]
    return head(a, "utf-8", "vi", "Tuổi Trẻ Online") + f"""
<body>
<div id="cookie-consent" class="cookie-banner"><p>Tuổi Trẻ Online sử dụng cookie để cải thiện trải nghiệm của bạn. Bằng việc tiếp tục truy cập, bạn đồng ý với chính sách cookie của chúng tôi.</p><button>Đồng ý</button><a href="/chinh-sach-cookie">Tìm hiểu thêm</a></div>
<div class="header__top"><a href="/" class="logo">Tuổi Trẻ Online</a><ul class="menu-top">
<li><a href="/thoi-su.htm">Thời sự</a></li><li><a href="/the-gioi.htm">Thế giới</a></li><li><a href="/phap-luat.htm">Pháp luật</a></li>
<li><a href="/kinh-doanh.htm">Kinh doanh</a></li><li><a href="/cong-nghe.htm">Công nghệ</a></li><li><a href="/xe.htm">Xe</a></li>
<li><a href="/du-lich.htm">Du lịch</a></li><li><a href="/nhip-song-tre.htm">Nhịp sống trẻ</a></li><li><a href="/van-hoa.htm">Văn hóa</a></li></ul>
<a class="btn-login" href="/dang-nhap">Đăng nhập</a></div>
<div class="detail__section"><div class="detail__cmain">
<div class="detail-cate"><a href="/thoi-su.htm">Thời sự</a></div>
<h1 class="detail-title article-title" data-role="title">{e(a['title'])}</h1>
<div class="detail-author"><a class="name" href="/tac-gia/{n}.htm">{e(a['author'])}</a><div class="detail-time" data-role="publishdate">{a['date'][8:10]}/{a['date'][5:7]}/{a['date'][:4]} {a['date'][11:16]} GMT+7</div></div>
<div class="detail-sharing"><a href="#" class="fb">Chia sẻ</a><a href="#" class="zalo">Zalo</a><a href="#" class="print">In bài</a><a href="#" class="save">Lưu</a></div>
{f'<h2 class="detail-sapo" data-role="sapo">{e(a["lead"])}</h2>' if a.get('lead') else ''}
<div class="detail-cmain"><div id="main-detail" class="detail-content afcbc-body" data-role="content" itemprop="articleBody">
{chr(10).join(body)}
</div></div>
<div class="detail-tab"><span>Từ khóa:</span><a href="/tu-khoa/giao-thong.htm">giao thông</a><a href="/tu-khoa/do-thi.htm">đô thị</a></div>
<div class="detail-rate"><span>Bạn thấy bài viết này thế nào?</span><a class="like">Hay</a><a class="dislike">Chưa hay</a></div>
<div class="box-comment"><div class="title">Bình luận (2)</div><div class="box-comment-form"><textarea placeholder="Chia sẻ ý kiến của bạn"></textarea><a class="btn-sendcomment">Gửi bình luận</a></div>
<ul class="lst-comment"><li><span class="name">Quang Vinh</span><span class="contentcomment">Rất mong chính sách này được thực hiện nghiêm túc và lâu dài.</span><span class="time">2 giờ trước</span></li>
<li><span class="name">Hồng Nhung</span><span class="contentcomment">Bài viết hay, cung cấp nhiều thông tin hữu ích.</span><span class="time">5 giờ trước</span></li></ul></div>
<div class="box-relate"><div class="box-heading">Các tin khác</div><ul class="box-content">
<li><a href="/tin-khac-1.htm">Khởi tố vụ án buôn lậu xăng dầu quy mô lớn ở Kiên Giang</a><p class="sapo">Cơ quan điều tra đã tạm giữ 12 đối tượng liên quan.</p></li>
<li><a href="/tin-khac-2.htm">Thời tiết hôm nay: Bắc Bộ rét đậm, miền Trung mưa lớn</a></li>
<li><a href="/tin-khac-3.htm">Tuyển sinh đại học 2027 có nhiều điểm mới</a></li>
<li><a href="/tin-khac-4.htm">Giá thuê văn phòng hạng A tăng 8%</a></li></ul></div>
</div>
<div class="detail__cright"><div class="box-most-view"><div class="box-heading">Đọc nhiều</div><ol>
<li><a href="/x1">Ba người tử vong trong vụ tai nạn trên cao tốc</a></li><li><a href="/x2">Vé máy bay Tết tăng cao</a></li><li><a href="/x3">Công bố đề thi minh họa tốt nghiệp THPT</a></li></ol></div>
<div class="ads-box">Quảng cáo</div></div></div>
<footer class="footer"><p>Cơ quan chủ quản: Thành Đoàn TP.HCM. Tổng biên tập: Lê Thế Chữ.</p><p>Giấy phép hoạt động báo điện tử số 561/GP-BTTTT. Địa chỉ: 60A Hoàng Văn Thụ, phường 9, quận Phú Nhuận, TP.HCM.</p><p>Liên hệ quảng cáo: 0909 123 456</p></footer>
</body></html>
"""


def dantri(a, n):
    paras = body_html(a)
    figure = f"""<figure class="image align-center"><img src="https://icdn.dantri.com.vn/{n}/anh.jpg" alt=""><figcaption><p>{e(a['caption'])}</p></figcaption></figure>"""
    body = paras[:1] + [figure] + paras[1:]
    return head(a, "utf-8", "vi", "Báo Dân trí") + f"""
<body>
<div class="site-header"><a class="logo" href="/">Dân trí</a><nav class="menu-wrap"><ol>
<li><a href="/xa-hoi.htm">Xã hội</a></li><li><a href="/the-gioi.htm">Thế giới</a></li><li><a href="/kinh-doanh.htm">Kinh doanh</a></li>
<li><a href="/bat-dong-san.htm">Bất động sản</a></li><li><a href="/the-thao.htm">Thể thao</a></li><li><a href="/lao-dong-viec-lam.htm">Lao động - Việc làm</a></li>
<li><a href="/tam-long-nhan-ai.htm">Tấm lòng nhân ái</a></li><li><a href="/suc-khoe.htm">Sức khỏe</a></li><li><a href="/giai-tri.htm">Giải trí</a></li></ol></nav></div>
<main class="body container"><div class="grid-container"><div class="singular-wrap">
<ul class="dt-breadcrumb"><li><a href="/xa-hoi.htm">Xã hội</a></li><li><a href="/xa-hoi/doi-song.htm">Đời sống</a></li></ul>
<article class="singular-container">
<h1 class="title-page detail">{e(a['title'])}</h1>
<div class="author-wrap"><div class="author-name"><a href="/tac-gia.htm"><b>{e(a['author'])}</b></a></div><time class="author-time" datetime="{a['date']}">Thứ hai, {a['date'][8:10]}/{a['date'][5:7]}/{a['date'][:4]} - {a['date'][11:16]}</time></div>
{f'<h2 class="singular-sapo">(Dân trí) - {e(a["lead"])}</h2>' if a.get('lead') else ''}
<div class="singular-content">
{chr(10).join(body)}
</div>
<div class="author-wrap author-bottom"><span>Tác giả:</span> <b>{e(a['author'])}</b></div>
<div class="tags-container"><span class="tags-label">Từ khóa:</span><ul class="tags-wrap"><li><a href="/chu-de/doi-song.htm">Đời sống</a></li><li><a href="/chu-de/moi-truong.htm">Môi trường</a></li></ul></div>
</article>
<div class="article-related"><h3>Tin liên quan</h3>
<article class="article-item"><h3 class="article-title"><a href="/lq-1.htm">Hà Nội trồng thêm 1 triệu cây xanh trong năm 2027</a></h3><div class="article-excerpt">Thành phố sẽ ưu tiên các loài cây bản địa, phù hợp với khí hậu.</div></article>
<article class="article-item"><h3 class="article-title"><a href="/lq-2.htm">Ngư dân Quảng Ngãi trúng đậm cá ngừ đầu vụ</a></h3><div class="article-excerpt">Mỗi chuyến biển thu về hàng trăm triệu đồng.</div></article></div>
<section class="comment-wrap"><h3>Bình luận</h3><div class="comment-form"><input placeholder="Họ và tên"><textarea placeholder="Ý kiến của bạn"></textarea><button>Gửi</button></div>
<div class="comment-list"><div class="comment-item"><b>Hoàng Long</b><p>Cảm ơn tác giả, bài viết rất ý nghĩa.</p><span>Thích · Trả lời · 3 giờ</span></div>
<div class="comment-item"><b>Bích Ngọc</b><p>Hy vọng sẽ có thêm nhiều bài viết như thế này.</p><span>Thích · Trả lời · 6 giờ</span></div></div></section>
</div>
<aside class="sidebar"><div class="box-hot"><h3>Tin nổi bật</h3><ul><li><a href="/n1">Giá xăng dầu hôm nay</a></li><li><a href="/n2">Lịch nghỉ Tết 2027</a></li><li><a href="/n3">Bảng xếp hạng V-League</a></li></ul></div></aside>
</div></main>
<footer class="footer"><p>Cơ quan chủ quản: Bộ Nội vụ. Giấy phép số 298/GP-BTTTT. Tổng Biên tập: Phạm Tuấn Anh.</p><p>Trụ sở: Nhà 48 ngõ 2 Giảng Võ, Đống Đa, Hà Nội. Điện thoại: 024-3736-6491.</p></footer>
</body></html>
"""


def viblog(a, n):
    paras = body_html(a, h_tag="h3")
    figure = f"""<figure class="wp-block-image size-large"><img src="/wp-content/uploads/2026/{n}/anh.jpg" alt="" class="wp-image-{n}"><figcaption class="wp-element-caption">{e(a['caption'])}</figcaption></figure>"""
    body = paras[:1] + [figure] + paras[1:]
    return head(a, a.get("charset", "utf-8"), "vi", "Nhật ký lang thang") + f"""
<body class="post-template-default single single-post">
<div id="page" class="site"><a class="skip-link screen-reader-text" href="#content">Chuyển đến nội dung</a>
<header id="masthead" class="site-header"><p class="site-title"><a href="/">Nhật ký lang thang</a></p><p class="site-description">Viết về những chuyến đi, sách và những điều nhỏ bé</p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu"><li><a href="/">Trang chủ</a></li><li><a href="/du-lich/">Du lịch</a></li><li><a href="/doc-sach/">Đọc sách</a></li><li><a href="/am-thuc/">Ẩm thực</a></li><li><a href="/gioi-thieu/">Giới thiệu</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-{n}" class="post-{n} post type-post status-publish format-standard hentry category-ghi-chep">
<header class="entry-header"><h1 class="entry-title">{e(a['title'])}</h1>
<div class="entry-meta"><span class="posted-on">Đăng ngày <time class="entry-date published" datetime="{a['date']}">{a['date'][8:10]}/{a['date'][5:7]}/{a['date'][:4]}</time></span><span class="byline"> bởi <span class="author vcard"><a class="url fn n" href="/author/">{e(a['author'])}</a></span></span></div></header>
<div class="entry-content">
{chr(10).join(body)}
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social"><h3 class="sd-title">Chia sẻ:</h3><div class="sd-content"><ul><li><a class="share-facebook" href="#">Facebook</a></li><li><a class="share-twitter" href="#">X</a></li><li><a class="share-email" href="#">Email</a></li></ul></div></div></div>
<div class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Có liên quan</em></h3>
<div class="jp-relatedposts-post"><h4><a href="/sapa-mua-dong/">Sa Pa mùa đông, một mình</a></h4><p>Trong "Du lịch"</p></div>
<div class="jp-relatedposts-post"><h4><a href="/sach-hay-2025/">Mười cuốn sách hay nhất năm 2025</a></h4><p>Trong "Đọc sách"</p></div></div>
</div>
<footer class="entry-footer"><span class="cat-links">Chuyên mục: <a href="/ghi-chep/">Ghi chép</a></span><span class="tags-links">Thẻ: <a href="/tag/trai-nghiem/">trải nghiệm</a></span></footer>
</article>
<nav class="navigation post-navigation"><div class="nav-links"><div class="nav-previous"><a href="/bai-truoc/"><span class="meta-nav">Bài trước</span> Những ngày mưa ở Huế</a></div><div class="nav-next"><a href="/bai-sau/"><span class="meta-nav">Bài tiếp theo</span> Cà phê trứng và phố cổ</a></div></div></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">3 bình luận về &ldquo;{e(a['title'])}&rdquo;</h2><ol class="comment-list">
<li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">Thảo Nguyên</b> <time>02/12/2026 lúc 08:14</time></footer><div class="comment-content"><p>Đọc xong chỉ muốn xách ba lô lên và đi ngay. Cảm ơn bạn đã chia sẻ!</p></div><div class="reply"><a class="comment-reply-link" href="#">Trả lời</a></div></article></li>
<li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">Quốc Bảo</b> <time>02/12/2026 lúc 10:40</time></footer><div class="comment-content"><p>Bài viết rất chân thực, mình cũng từng trải qua cảm giác giống vậy.</p></div></article></li>
<li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">{e(a['author'])}</b> <time>02/12/2026 lúc 21:03</time></footer><div class="comment-content"><p>Cảm ơn hai bạn đã ghé đọc nhé!</p></div></article></li></ol>
<div id="respond" class="comment-respond"><h3 class="comment-reply-title">Trả lời</h3><form class="comment-form"><p class="comment-notes">Email của bạn sẽ không được hiển thị công khai.</p><textarea name="comment"></textarea><input type="submit" value="Phản hồi"></form></div></div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2 class="widget-title">Bài viết mới</h2><ul><li><a href="/r1/">Mùa lúa chín Mù Cang Chải</a></li><li><a href="/r2/">Phở gánh Hàng Chiếu</a></li><li><a href="/r3/">Đọc lại Số đỏ</a></li></ul></section>
<section class="widget widget_categories"><h2 class="widget-title">Chuyên mục</h2><ul><li><a href="/am-thuc/">Ẩm thực</a> (24)</li><li><a href="/doc-sach/">Đọc sách</a> (31)</li><li><a href="/du-lich/">Du lịch</a> (45)</li></ul></section>
<section class="widget widget_archive"><h2 class="widget-title">Lưu trữ</h2><ul><li><a href="/2026/11/">Tháng mười một 2026</a></li><li><a href="/2026/10/">Tháng mười 2026</a></li></ul></section></aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info">Vận hành bởi WordPress | Giao diện: Twenty Nineteen</div></footer></div>
</body></html>
"""


def bbc(a, n):
    blocks = [f'<div data-component="text-block" class="ssrcss-text-block"><div class="ssrcss-rich-text">{p}</div></div>' for p in body_html(a)]
    image = f"""<div data-component="image-block"><figure><div class="ssrcss-image"><img src="https://ichef.example/news/{n}.jpg" alt="" width="976"></div><figcaption class="ssrcss-caption">{e(a['caption'])}</figcaption></figure></div>"""
    related = """<div data-component="links-block"><p><b>More on this story</b></p><ul><li><a href="/news/uk-1">Flood defences 'not fit for purpose', report says</a></li><li><a href="/news/uk-2">How to prepare your home for a flood</a></li></ul></div>"""
    lead = f'<div data-component="text-block"><p><b class="ssrcss-intro">{e(a["lead"])}</b></p></div>' if a.get("lead") else ""
    body = [lead, image] + blocks[:3] + [related] + blocks[3:]
    return head(a, "utf-8", "en-GB", "BBC News") + f"""
<body>
<div id="bbccookies" class="cookie-banner"><h2>Let us know you agree to cookies</h2><p>We use cookies to give you the best online experience. Please let us know if you agree to all of these cookies.</p><button>Yes, I agree</button><a href="/usingthebbc/cookies/">No, take me to settings</a></div>
<header role="banner"><a href="/" class="logo">BBC</a><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li><li><a href="/iplayer">iPlayer</a></li><li><a href="/sounds">Sounds</a></li><li><a href="/bitesize">Bitesize</a></li></ul></nav>
<nav class="news-nav"><ul><li><a href="/news/uk">UK</a></li><li><a href="/news/world">World</a></li><li><a href="/news/business">Business</a></li><li><a href="/news/politics">Politics</a></li><li><a href="/news/technology">Tech</a></li><li><a href="/news/science">Science</a></li><li><a href="/news/health">Health</a></li></ul></nav></header>
<div id="main-content"><main role="main"><article>
<header><h1 id="main-heading">{e(a['title'])}</h1></header>
<div data-component="byline-block"><div class="ssrcss-byline"><time datetime="{a['date']}">{a['date'][:10]}</time><span>By {e(a['author'])}</span><span>BBC News</span></div></div>
<div class="share-tools"><button>Share</button><button>Save</button></div>
{chr(10).join(body)}
<div data-component="tag-list"><h2>Related topics</h2><ul><li><a href="/news/topics/weather">Weather</a></li><li><a href="/news/topics/wales">Wales</a></li></ul></div>
</article>
<section data-component="related-content"><h2>More from the BBC</h2><ul>
<li><a href="/news/a1">Live: Latest updates as storm moves east</a><p>Follow the latest news and pictures from across the UK.</p></li>
<li><a href="/news/a2">In pictures: The week in photos</a></li><li><a href="/news/a3">Why are energy bills going up again?</a></li></ul></section></main>
<aside><h2>Top Stories</h2><ul><li><a href="/news/t1">Prime minister sets out plan for NHS waiting lists</a></li><li><a href="/news/t2">Interest rates held at 4.25%</a></li><li><a href="/news/t3">Thousands march in climate protest</a></li></ul>
<h2>Most read</h2><ol><li><a href="/news/m1">Woman finds 200-year-old letter behind fireplace</a></li><li><a href="/news/m2">Train strikes called off</a></li></ol></aside></div>
<footer><ul><li><a href="/terms">Terms of Use</a></li><li><a href="/aboutthebbc">About the BBC</a></li><li><a href="/privacy">Privacy Policy</a></li><li><a href="/cookies">Cookies</a></li><li><a href="/contact">Contact the BBC</a></li></ul><p>Copyright © 2026 BBC. The BBC is not responsible for the content of external sites. Read about our approach to external linking.</p></footer>
</body></html>
"""


def guardian(a, n):
    paras = body_html(a, ' class="dcr-s23rjr"')
    aside = """<aside data-gu-name="rich-link" class="element-rich-link"><a href="/money/2026/related">Read more: <span>Mortgage rates fall for fourth month in a row</span></a></aside>"""
    newsletter = """<div class="newsletter-signup"><p><b>Sign up to First Edition</b></p><p>Our morning email breaks down the key stories of the day, telling you what's happening and why it matters</p><p>Privacy Notice: Newsletters may contain info about charities, online ads, and content funded by outside parties.</p><button>Sign up</button></div>"""
    figure = f"""<figure class="element element-image"><img src="https://i.guim.example/img/{n}.jpg" alt=""><figcaption class="caption"><span>{e(a['caption'])}</span> Photograph: Alamy</figcaption></figure>"""
    mid = max(2, len(paras) // 2)
    body = paras[:mid] + [aside] + paras[mid:mid + 1] + [newsletter] + paras[mid + 1:]
    return head(a, "utf-8", "en", "The Guardian") + f"""
<body>
<div class="site-message--banner"><p>Support the Guardian: fund independent journalism with £5 per month.</p><a href="/support">Support us</a></div>
<header><a class="logo" href="/">The Guardian</a><nav><ul><li><a href="/uk">News</a></li><li><a href="/uk/commentisfree">Opinion</a></li><li><a href="/uk/sport">Sport</a></li><li><a href="/uk/culture">Culture</a></li><li><a href="/uk/lifeandstyle">Lifestyle</a></li></ul></nav>
<nav class="subnav"><ul><li><a href="/uk-news">UK</a></li><li><a href="/world">World</a></li><li><a href="/uk/business">Business</a></li><li><a href="/uk/environment">Environment</a></li><li><a href="/uk/money">Money</a></li></ul></nav></header>
<main><article>
<div class="headline-container"><a class="series" href="/uk/money">Renting</a><h1>{e(a['title'])}</h1>
{f'<div class="standfirst" data-gu-name="standfirst"><p>{e(a["lead"])}</p></div>' if a.get('lead') else ''}</div>
{figure}
<div class="meta"><address>{e(a['author'])}</address><time>{a['date'][:10]}</time><div class="share"><a href="#">Share on Facebook</a><a href="#">Share on X</a><a href="#">Share via Email</a></div><span class="comment-count">312 comments</span></div>
<div id="maincontent" class="article-body-commercial-selector article-body-viewer-selector">
{chr(10).join(body)}
</div>
<div class="submeta"><h2>Explore more on these topics</h2><ul><li><a href="/t/renting">Renting</a></li><li><a href="/t/housing">Housing</a></li><li><a href="/t/property">Property</a></li></ul>
<a class="reuse" href="/info/reuse">Reuse this content</a></div>
</article>
<section class="onwards"><h2>Most viewed</h2><ol><li><a href="/mv1">Live: Autumn statement reaction</a></li><li><a href="/mv2">The 50 best TV shows of 2026</a></li><li><a href="/mv3">Stargazing guide for December</a></li></ol></section>
<section id="comments" class="discussion"><h2>Comments (312)</h2><p>This discussion is now closed for comments but you can still sign in or create your Guardian account to join the discussion next time.</p>
<div class="comment"><span class="user">RiverdaleReader</span><p>The real issue nobody in government wants to talk about is supply. Build more homes.</p><span>1.2k recommendations</span></div>
<div class="comment"><span class="user">mancunian_fan</span><p>I have been renting for 15 years and it has never been this bad.</p><span>843 recommendations</span></div></section></main>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/help">Help</a></li><li><a href="/complaints">Complaints &amp; corrections</a></li><li><a href="/privacy">Privacy policy</a></li><li><a href="/cookies">Cookie policy</a></li></ul><p>© 2026 Guardian News &amp; Media Limited or its affiliated companies. All rights reserved.</p></footer>
</body></html>
"""


def ghost(a, n):
    paras = body_html(a)
    figure = f"""<figure class="kg-card kg-image-card kg-card-hascaption"><img src="/content/images/2026/{n}.png" class="kg-image" alt="" loading="lazy"><figcaption>{e(a['caption'])}</figcaption></figure>"""
    body = paras[:2] + [figure] + paras[2:]
    return head(a, "utf-8", "en", "Engineering notes") + f"""
<body class="post-template">
<div class="viewport"><header id="gh-head" class="gh-head"><a class="gh-head-logo" href="/">Engineering notes</a>
<nav class="gh-head-menu"><ul class="nav"><li class="nav-home"><a href="/">Home</a></li><li class="nav-archive"><a href="/archive/">Archive</a></li><li class="nav-about"><a href="/about/">About</a></li></ul></nav>
<div class="gh-head-actions"><a href="#/portal/signin">Sign in</a><a class="gh-head-button" href="#/portal/signup">Subscribe</a></div></header>
<main id="site-main" class="site-main"><article class="article post">
<header class="article-header gh-canvas"><section class="article-tag"><a href="/tag/engineering/">Engineering</a></section>
<h1 class="article-title">{e(a['title'])}</h1>
<div class="article-byline"><div class="article-byline-meta"><h4 class="author-name"><a href="/author/">{e(a['author'])}</a></h4><div class="byline-meta-content"><time class="byline-meta-date" datetime="{a['date'][:10]}">{a['date'][:10]}</time><span class="byline-reading-time"><span class="bull">&bull;</span> 5 min read</span></div></div></div></header>
<section class="gh-content gh-canvas">
{chr(10).join(body)}
</section>
<section class="article-comments gh-canvas"><h3>Comments</h3><div class="comment"><b>jdoe</b><p>Great write-up, we went through the same thing last year.</p></div><div class="comment"><b>alice</b><p>Did you consider a managed service instead?</p></div></section>
</article>
<section class="footer-cta outer"><div class="inner"><h2 class="footer-cta-title">Sign up for more like this.</h2><a class="footer-cta-button" href="#/portal"><div class="footer-cta-input">Enter your email</div><span>Subscribe</span></a></div></section>
<aside class="read-more-wrap outer"><div class="read-more inner"><h3>You might also like</h3>
<article class="post-card"><a class="post-card-image-link" href="/p1/"><img src="/p1.jpg" alt=""></a><div class="post-card-content"><h2 class="post-card-title">Counting words without counting bytes</h2><p class="post-card-excerpt">A short tour of grapheme clusters and why string length is harder than it looks.</p></div></article>
<article class="post-card"><a href="/p2/"><h2 class="post-card-title">Backups you have actually restored</h2><p class="post-card-excerpt">If you have not tested it, it is not a backup.</p></a></article></div></aside>
</main>
<footer class="site-footer outer"><div class="inner"><section class="copyright"><a href="/">Engineering notes</a> © 2026</section><nav class="site-footer-nav"><a href="/rss/">RSS</a><a href="/privacy/">Privacy</a></nav><div class="gh-powered-by"><a href="https://ghost.org/">Powered by Ghost</a></div></div></footer></div>
</body></html>
"""


def substack(a, n):
    paras = body_html(a)
    figure = f"""<div class="captioned-image-container"><figure><a class="image-link" href="/img/{n}.jpeg"><img src="/img/{n}.jpeg" width="1456" height="970" alt=""></a><figcaption class="image-caption">{e(a['caption'])}</figcaption></figure></div>"""
    subscribe_box = """<div class="subscription-widget-wrap"><div class="subscription-widget"><p class="cta-caption">Thanks for reading! Subscribe for free to receive new posts and support my work.</p><form class="subscription-widget-subscribe"><input type="email" placeholder="Type your email…"><input type="submit" value="Subscribe"></form></div></div>"""
    mid = len(paras) // 2
    body = [figure] + paras[:mid] + [subscribe_box] + paras[mid:]
    return head(a, "utf-8", "en", "Substack") + f"""
<body>
<div class="main-menu"><div class="topbar-content"><a class="navbar-title-link" href="/">Slow Reading</a><div class="navbar-buttons"><a class="button primary" href="/subscribe">Subscribe</a><a class="button" href="/sign-in">Sign in</a></div></div></div>
<div class="container"><div class="single-post-container"><div class="single-post"><article class="typography newsletter-post post">
<div class="post-header"><h1 class="post-title published">{e(a['title'])}</h1><h3 class="subtitle">Notes on reading, writing and the web</h3>
<div class="post-meta"><div class="profile-hover-card-target"><a href="/profile">{e(a['author'])}</a></div><div class="post-date">{a['date'][:10]}</div></div>
<div class="post-ufi"><a class="like-button">142</a><a class="comment-button">37</a><a class="restack-button">Restack</a><a class="share-button">Share</a></div></div>
<div class="available-content"><div dir="auto" class="body markup">
{chr(10).join(body)}
</div></div>
<div class="post-footer"><div class="post-ufi"><a class="like-button">142 Likes</a><a class="restack-button">12 Restacks</a></div><a class="button primary" href="/p/share">Share</a></div>
</article>
<div class="single-post-section comments-section"><h4>Discussion about this post</h4><div class="comments-list">
<div class="comment"><div class="comment-meta"><a>Jules</a> <span>Nov 26</span></div><div class="comment-body"><p>This resonated with me. I started last spring and never looked back.</p></div><div class="comment-actions"><a>Like (14)</a><a>Reply</a></div></div>
<div class="comment"><div class="comment-meta"><a>Owen P.</a> <span>Nov 27</span></div><div class="comment-body"><p>Which tools would you recommend for someone just starting?</p></div><div class="comment-actions"><a>Like (3)</a><a>Reply</a></div></div></div></div>
<div class="post-end-cta"><h3>Ready for more?</h3><a class="button" href="/subscribe">Subscribe</a></div>
<div class="recommendations"><h4>Recommended</h4><ul><li><a href="/r1">The case for slower news</a><span>by A Writer</span></li><li><a href="/r2">Archive everything</a><span>by Another Writer</span></li></ul></div>
</div></div></div>
<div class="footer"><p>© 2026 Slow Reading · <a href="/privacy">Privacy</a> ∙ <a href="/tos">Terms</a> ∙ <a href="/collection-notice">Collection notice</a></p><a href="https://substack.com/signup">Start writing</a><a href="https://substack.com/app">Get the app</a><p>Substack is the home for great culture</p></div>
</body></html>
"""


def oldvi(a, n):
    """An old portal: table layout, no names on anything, text split by
    <br><br>, a plain "Các tin khác" list and long reader comments."""
    text = "<br><br>\n".join(
        (f"<b>{e(line[3:])}</b>" if line.startswith("## ") else e(line.lstrip("-> ").strip()))
        for line in a["body"])
    lead = f"<i>{e(a['lead'])}</i><br><br>\n" if a.get("lead") else ""
    return head(a, a.get("charset", "utf-8"), "vi", "Cổng thông tin") + f"""
<body bgcolor="#ffffff"><table width="980" align="center" border="0" cellpadding="0" cellspacing="0">
<tr><td colspan="2"><img src="/images/banner.gif" width="980" height="120" alt="Cổng thông tin điện tử"></td></tr>
<tr><td colspan="2" bgcolor="#003399"><a href="/">Trang chủ</a> | <a href="/tin-tuc">Tin tức</a> | <a href="/van-ban">Văn bản</a> | <a href="/lien-he">Liên hệ</a> | <a href="/so-do">Sơ đồ trang</a></td></tr>
<tr><td width="200" valign="top"><b>Chuyên mục</b><br><a href="/c1">Tin trong tỉnh</a><br><a href="/c2">Kinh tế</a><br><a href="/c3">Văn hóa - Xã hội</a><br><a href="/c4">Thông báo</a><br><br><b>Lượt truy cập:</b> 1.284.533</td>
<td valign="top"><font face="Arial" size="4"><b>{e(a['title'])}</b></font><br><font size="1" color="gray">Cập nhật: {a['date'][:10]}</font><br><br>
<font face="Arial" size="2">{lead}{text}</font><br><br><div align="right"><b>{e(a['author'])}</b></div>
<br><a href="javascript:window.print()">In trang</a> | <a href="mailto:?subject=tin">Gửi email</a> | <a href="javascript:history.back()">Quay lại</a><br><br>
<b>Các tin khác:</b><br>
<a href="/t1">- Tỉnh tổ chức hội nghị tổng kết công tác năm 2026 và triển khai nhiệm vụ năm 2027</a><br>
<a href="/t2">- Hướng dẫn thực hiện thủ tục hành chính trên cổng dịch vụ công trực tuyến</a><br>
<a href="/t3">- Thông báo lịch tiếp công dân của lãnh đạo tỉnh tháng 12 năm 2026</a><br>
<a href="/t4">- Kế hoạch tổ chức các hoạt động mừng Đảng, mừng Xuân Bính Ngọ</a><br><br>
<b>Ý kiến bạn đọc</b><br>
<table><tr><td><b>Nguyễn Văn Nam</b> (nam.nv@example.vn): Tôi đề nghị cơ quan chức năng công khai tiến độ thực hiện để người dân được biết và cùng giám sát, tránh tình trạng chậm trễ như những năm trước.</td></tr>
<tr><td><b>Trần Thị Lan</b>: Xin cảm ơn ban biên tập đã đăng tải thông tin kịp thời và đầy đủ.</td></tr></table>
</td></tr>
<tr><td colspan="2" align="center"><font size="1">Cơ quan chủ quản: Ủy ban nhân dân tỉnh. Chịu trách nhiệm chính: Chánh Văn phòng. Ghi rõ nguồn khi phát hành lại thông tin từ website này.</font></td></tr>
</table></body></html>
"""


def inline_more(a, n):
    """A news site that puts "Read more" links between paragraphs, ad slots
    and a plain list of links after the article, with no telling names."""
    paras = body_html(a)
    more = ['<p><strong>Read more:</strong> <a href="/news/r1">Ministers promise answers on delays</a></p>',
            '<div class="slot-x1"><div id="dfp-ad-mpu"></div></div>',
            '<p><strong>Also read:</strong> <a href="/news/r2">What the figures mean for you</a></p>']
    body = []
    for i, p in enumerate(paras):
        body.append(p)
        if i in (1, 3, 5):
            body.append(more[(i - 1) // 2])
    lead = f'<p class="article__intro"><strong>{e(a["lead"])}</strong></p>' if a.get("lead") else ""
    return head(a, "utf-8", "en", "The Daily Courier") + f"""
<body><div class="top"><a href="/">The Daily Courier</a> <a href="/news">News</a> <a href="/sport">Sport</a> <a href="/business">Business</a> <a href="/opinion">Opinion</a> <a href="/puzzles">Puzzles</a> <a href="/login">Log in</a></div>
<div class="wrap"><div class="col-main"><h1>{e(a['title'])}</h1><div class="meta">By {e(a['author'])} | {a['date'][:10]}</div>
<div class="txt">{lead}{chr(10).join(body)}</div>
<h3>Read more</h3><ul><li><a href="/n1">Flood warnings issued across the north</a></li><li><a href="/n2">Man charged after town centre crash</a></li><li><a href="/n3">New bus routes from January</a></li><li><a href="/n4">School wins national award</a></li></ul>
<h3>Have your say</h3><div class="c"><p><b>Graham, Leeds</b> wrote: This has been coming for years and nobody in charge listened. I wrote to my MP twice and got a form letter back both times. Typical.</p></div>
<div class="c"><p><b>Anne</b> wrote: Good to see this finally reported properly.</p></div></div>
<div class="col-side"><h4>Most popular</h4><ol><li><a href="/p1">Lottery winner comes forward</a></li><li><a href="/p2">Roadworks on the A64 until March</a></li><li><a href="/p3">Weather: snow possible at the weekend</a></li></ol></div></div>
<div class="bottom">© 2026 The Daily Courier Ltd. Registered in England No. 01234567. All rights reserved.</div></body></html>
"""


# Articles shown a second time in a layout that names nothing.
EXTRA = [("33", "02", oldvi), ("34", "07", oldvi), ("35", "10", oldvi), ("36", "12", oldvi),
         ("37", "19", inline_more), ("38", "21", inline_more), ("39", "23", inline_more), ("40", "29", inline_more)]

TEMPLATES = {
    "vnexpress": vnexpress,
    "tuoitre": tuoitre,
    "dantri": dantri,
    "viblog": viblog,
    "bbc": bbc,
    "guardian": guardian,
    "ghost": ghost,
    "substack": substack,
}


def main():
    (HERE / "pages").mkdir(exist_ok=True)
    (HERE / "expected").mkdir(exist_ok=True)
    for a in read_articles():
        page = TEMPLATES[a["template"]](a, a["id"])
        if a.get("charset") == "windows-1258":
            data = cp1258(page)
        else:
            data = page.encode("utf-8")
        (HERE / "pages" / f"{a['id']}.html").write_bytes(data)
        (HERE / "expected" / f"{a['id']}.txt").write_text(expected(a), encoding="utf-8")
    by_id = {a["id"]: a for a in read_articles()}
    for new_id, source, layout in EXTRA:
        a = dict(by_id[source], id=new_id, charset="utf-8")
        (HERE / "pages" / f"{new_id}.html").write_bytes(layout(a, new_id).encode("utf-8"))
        (HERE / "expected" / f"{new_id}.txt").write_text(expected(a), encoding="utf-8")


if __name__ == "__main__":
    main()
