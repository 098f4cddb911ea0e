# Hand-written base articles of the deduplication evaluation set.
# Each base is one news story; gen.py derives the versions other outlets
# publish (syndicated, re-captioned, edited, trimmed) and adds the hard
# negatives: translations, same-topic-different-story pairs, generic titles.
#
# Fields: key, lang, title, alt_title (an edited headline), paras (the body),
# subs (word edits an editor makes), topic (bases sharing a topic are
# different stories about the same subject), en (a translation: title, paras).

BASES = [
    dict(
        key="hp-port", lang="vi", topic="hai-phong-port",
        title="Hải Phòng đặt mục tiêu 200 triệu tấn hàng qua cảng vào năm 2030",
        alt_title="Cảng Lạch Huyện sẽ có thêm sáu bến container",
        paras=[
            "Sáng 25/11, Ủy ban nhân dân thành phố Hải Phòng tổ chức hội nghị triển khai kế hoạch phát triển cảng biển giai đoạn 2026-2030, với mục tiêu nâng sản lượng hàng hóa thông qua cảng lên 200 triệu tấn mỗi năm.",
            "Theo Phó Chủ tịch UBND thành phố, khu bến Lạch Huyện sẽ được mở rộng thêm sáu bến container, có khả năng tiếp nhận tàu trọng tải đến 200.000 tấn. Tuyến đường sắt nối cảng với khu công nghiệp Nam Đình Vũ dự kiến khởi công trong quý II năm sau.",
            "Năm 2025, lượng hàng qua các cảng biển Hải Phòng đạt khoảng 185 triệu tấn, tăng 9% so với năm trước. Thành phố kiến nghị Bộ Xây dựng sớm phê duyệt quy hoạch chi tiết nhóm cảng biển số 1.",
            "Các doanh nghiệp logistics tại hội nghị cho rằng chi phí vận chuyển nội địa vẫn là điểm nghẽn lớn nhất, khi hơn 80% hàng hóa vẫn được chở bằng xe tải.",
        ],
        subs=[("tổ chức hội nghị", "tổ chức hội thảo"), ("dự kiến khởi công", "sẽ được khởi công"), ("cho rằng", "nhận định")],
        en=("Hai Phong targets 200 million tonnes of port cargo by 2030", [
            "On the morning of November 25, the Hai Phong People's Committee held a conference on its 2026-2030 seaport development plan, aiming to raise cargo throughput to 200 million tonnes a year.",
            "According to the city's vice chairman, the Lach Huyen terminal area will gain six container berths able to receive ships of up to 200,000 tonnes. A railway linking the port to the Nam Dinh Vu industrial zone is expected to break ground in the second quarter of next year.",
            "In 2025, cargo through Hai Phong's seaports reached about 185 million tonnes, up 9% on the previous year. The city asked the Ministry of Construction to approve the detailed plan for seaport group No. 1 soon.",
        ]),
    ),
    dict(
        key="hp-ship", lang="vi", topic="hai-phong-port",
        title="Tàu hàng mắc cạn ở luồng Lạch Huyện, hàng chục tàu phải chờ",
        alt_title="Sự cố tàu mắc cạn làm ùn tắc luồng vào cảng Hải Phòng",
        paras=[
            "Khoảng 4 giờ sáng 24/11, tàu chở hàng rời mang cờ Panama trọng tải 32.000 tấn bị mắc cạn tại khu vực phao số 18 luồng Lạch Huyện, Hải Phòng, trong lúc thủy triều xuống.",
            "Cảng vụ Hàng hải Hải Phòng cho biết không có thiệt hại về người và chưa phát hiện dầu tràn. Bốn tàu lai dắt đã được điều đến hỗ trợ, dự kiến đưa tàu ra khỏi vị trí mắc cạn khi nước lên vào chiều cùng ngày.",
            "Trong thời gian xử lý sự cố, 27 tàu ra vào cảng phải neo chờ ở khu vực đón trả hoa tiêu. Các hãng tàu được khuyến cáo điều chỉnh lịch cập cảng trong hai ngày tới.",
        ],
        subs=[("Khoảng 4 giờ sáng", "Vào khoảng 4 giờ sáng"), ("cho biết", "thông tin"), ("được khuyến cáo", "được đề nghị")],
    ),
    dict(
        key="hn-metro", lang="vi", topic="ha-noi-transport",
        title="Đoạn ngầm tuyến metro Nhổn - ga Hà Nội chạy thử từ tháng 12",
        alt_title="Metro Nhổn - ga Hà Nội sắp chạy thử đoạn đi ngầm",
        paras=[
            "Ban Quản lý đường sắt đô thị Hà Nội cho biết đoạn đi ngầm dài 4 km của tuyến metro Nhổn - ga Hà Nội sẽ bắt đầu chạy thử không tải từ ngày 15/12, sau khi hoàn tất lắp đặt hệ thống cấp điện và tín hiệu.",
            "Đoạn ngầm gồm bốn ga Kim Mã, Cát Linh, Văn Miếu và ga Hà Nội. Trong giai đoạn chạy thử, các đoàn tàu sẽ vận hành theo biểu đồ như khai thác thực tế nhưng không chở khách.",
            "Nếu kết quả đánh giá an toàn hệ thống đạt yêu cầu, toàn tuyến dài 12,5 km có thể đưa vào khai thác thương mại trong quý II năm 2027. Tổng mức đầu tư dự án sau điều chỉnh là khoảng 35.000 tỷ đồng.",
        ],
        subs=[("cho biết", "thông tin"), ("bắt đầu chạy thử", "chạy thử"), ("có thể đưa vào", "dự kiến đưa vào")],
        en=("Underground section of Hanoi's Nhon - Hanoi Station metro to start trial runs in December", [
            "Hanoi's urban railway management board said the 4 km underground section of the Nhon - Hanoi Station metro line will begin empty trial runs on December 15, after power and signalling systems are installed.",
            "The underground section has four stations: Kim Ma, Cat Linh, Van Mieu and Hanoi Station. During the trial, trains will follow a real operating timetable without passengers.",
            "If the system safety assessment is satisfactory, the whole 12.5 km line could enter commercial service in the second quarter of 2027. The project's adjusted total investment is about 35 trillion dong.",
        ]),
    ),
    dict(
        key="hn-bus", lang="vi", topic="ha-noi-transport",
        title="Hà Nội mở thêm 5 tuyến xe buýt điện kết nối ga metro",
        alt_title="Thêm năm tuyến buýt điện nối các nhà ga đường sắt đô thị",
        paras=[
            "Từ ngày 1/12, Hà Nội đưa vào khai thác năm tuyến xe buýt điện mới kết nối các nhà ga của tuyến metro Cát Linh - Hà Đông và Nhổn - ga Hà Nội với các khu dân cư ở Hà Đông, Nam Từ Liêm và Cầu Giấy.",
            "Theo Sở Xây dựng Hà Nội, các tuyến có tần suất 10-15 phút một chuyến vào giờ cao điểm, giá vé lượt 7.000 đồng, hành khách dùng vé tháng liên thông được đi miễn phí khi chuyển tiếp từ metro.",
            "Tổng số tuyến buýt điện của thủ đô sẽ tăng lên 41 tuyến với gần 600 xe. Thành phố đặt mục tiêu toàn bộ xe buýt mới đầu tư từ năm 2025 sử dụng điện hoặc năng lượng xanh.",
        ],
        subs=[("đưa vào khai thác", "đưa vào vận hành"), ("Theo Sở Xây dựng Hà Nội", "Theo thông tin từ Sở Xây dựng Hà Nội"), ("đặt mục tiêu", "phấn đấu")],
    ),
    dict(
        key="ts-fish", lang="vi", topic="truong-sa",
        title="Ngư dân Quảng Ngãi được cứu sau 3 ngày trôi dạt gần Trường Sa",
        alt_title="Cứu sống 9 ngư dân gặp nạn trên biển",
        paras=[
            "Chiều 23/11, tàu kiểm ngư KN 290 đã tiếp cận và cứu sống 9 ngư dân trên tàu cá QNg 95127 TS của tỉnh Quảng Ngãi bị hỏng máy, trôi dạt suốt ba ngày ở vùng biển cách đảo Song Tử Tây khoảng 40 hải lý.",
            "Theo Trung tâm Phối hợp tìm kiếm cứu nạn hàng hải Việt Nam, tàu cá bị sự cố từ sáng 20/11 khi đang khai thác hải sản, sau đó mất liên lạc do ắc quy cạn. Gió mạnh cấp 6, sóng cao 3 mét khiến việc tìm kiếm gặp nhiều khó khăn.",
            "Các ngư dân đã được kiểm tra sức khỏe, cấp nước ngọt và lương thực. Tàu kiểm ngư đang lai dắt tàu cá về âu tàu đảo Song Tử Tây để sửa chữa, dự kiến đến nơi vào sáng 24/11.",
        ],
        subs=[("đã tiếp cận", "tiếp cận"), ("khiến việc tìm kiếm gặp nhiều khó khăn", "gây khó khăn cho công tác tìm kiếm"), ("dự kiến đến nơi", "dự kiến cập đảo")],
        en=("Quang Ngai fishermen rescued after three days adrift near Truong Sa", [
            "On the afternoon of November 23, fisheries patrol ship KN 290 reached and rescued nine fishermen aboard the Quang Ngai fishing boat QNg 95127 TS, which had engine failure and drifted for three days about 40 nautical miles from Song Tu Tay island.",
            "According to the Vietnam Maritime Search and Rescue Coordination Centre, the boat broke down on the morning of November 20 while fishing and then lost contact as its batteries ran flat. Level 6 winds and three-metre waves hampered the search.",
            "The fishermen were given health checks, fresh water and food. The patrol ship is towing the boat to the Song Tu Tay harbour for repairs.",
        ]),
    ),
    dict(
        key="ts-visit", lang="vi", topic="truong-sa",
        title="Đoàn công tác thăm quân và dân huyện đảo Trường Sa",
        alt_title="Tàu KN 491 đưa đoàn công tác ra thăm Trường Sa",
        paras=[
            "Ngày 22/11, đoàn công tác số 9 gồm 180 đại biểu từ các bộ, ngành và địa phương rời cảng Cam Ranh, bắt đầu chuyến thăm, chúc Tết sớm quân và dân huyện đảo Trường Sa và nhà giàn DK1.",
            "Trong 10 ngày hành trình, đoàn sẽ đến các đảo Song Tử Tây, Sinh Tồn, Trường Sa Lớn và Đá Tây, tổ chức lễ tưởng niệm các anh hùng liệt sĩ hy sinh trên biển, trao quà cho cán bộ, chiến sĩ và nhân dân trên đảo.",
            "Đoàn mang theo hơn 20 tấn hàng hóa, gồm rau xanh, thực phẩm, cây giống và thiết bị y tế. Đây là đoàn công tác thứ ba trong năm được tổ chức bằng tàu KN 491 của Cục Kiểm ngư.",
        ],
        subs=[("bắt đầu chuyến thăm", "bắt đầu hành trình thăm"), ("trao quà cho", "tặng quà"), ("Đoàn mang theo", "Đoàn công tác mang theo")],
    ),
    dict(
        key="dn-party", lang="vi",
        title="Đảng ủy Đà Nẵng tổng kết công tác xây dựng Đảng năm 2026",
        alt_title="Đà Nẵng: kết nạp hơn 2.100 đảng viên mới trong năm",
        paras=[
            "Ngày 24/11, Đảng ủy các cơ quan Đảng thành phố Đà Nẵng tổ chức hội nghị tổng kết công tác xây dựng Đảng năm 2026 và triển khai nhiệm vụ năm 2027.",
            "Báo cáo tại hội nghị cho thấy trong năm, toàn Đảng bộ đã kết nạp 2.134 đảng viên mới, đạt 107% kế hoạch; 96% tổ chức cơ sở đảng được đánh giá hoàn thành tốt nhiệm vụ trở lên.",
            "Phát biểu chỉ đạo, Bí thư Thành ủy đề nghị các cấp ủy tiếp tục đẩy mạnh chuyển đổi số trong công tác đảng, tăng cường kiểm tra, giám sát và nâng cao chất lượng sinh hoạt chi bộ.",
        ],
        subs=[("tổ chức hội nghị", "tổ chức hội nghị trực tuyến"), ("cho thấy", "nêu rõ"), ("đề nghị", "yêu cầu")],
    ),
    dict(
        key="hcm-flood", lang="vi", topic="hcm-weather",
        title="Triều cường đạt đỉnh, nhiều tuyến đường TP.HCM ngập sâu",
        alt_title="TP.HCM: người dân lội nước về nhà vì triều cường",
        paras=[
            "Chiều tối 24/11, triều cường trên sông Sài Gòn tại trạm Phú An đạt đỉnh 1,72 m, vượt mức báo động 3, khiến hàng chục tuyến đường ở Thủ Đức, quận 7 và huyện Nhà Bè ngập sâu 20-40 cm.",
            "Nhiều người dân phải dắt bộ xe máy qua các đoạn ngập trên đường Huỳnh Tấn Phát và Lê Văn Lương. Một số hộ kinh doanh dùng bao cát chắn trước cửa để nước không tràn vào nhà.",
            "Đài Khí tượng thủy văn khu vực Nam Bộ dự báo đỉnh triều sẽ duy trì ở mức cao đến hết ngày 27/11, người dân vùng trũng thấp cần chủ động phòng tránh, hạn chế di chuyển vào giờ triều lên.",
        ],
        subs=[("khiến hàng chục tuyến đường", "làm hàng chục tuyến đường"), ("phải dắt bộ", "phải dắt"), ("cần chủ động phòng tránh", "cần chủ động ứng phó")],
    ),
    dict(
        key="hcm-rain", lang="vi", topic="hcm-weather",
        title="Mưa trái mùa kèm giông lốc, cây xanh ngã đè ô tô ở TP.HCM",
        alt_title="Giông lốc quật ngã nhiều cây xanh tại trung tâm TP.HCM",
        paras=[
            "Khoảng 15 giờ ngày 23/11, cơn mưa lớn kèm giông lốc kéo dài gần một giờ đã làm bật gốc ba cây xanh trên đường Nguyễn Thị Minh Khai và Điện Biên Phủ, trong đó một cây đè trúng ô tô đang đỗ bên đường.",
            "Rất may không có thương vong. Công ty Công viên cây xanh TP.HCM đã điều bốn tổ công tác đến cưa cắt, thu dọn thân cây, đến 18 giờ cùng ngày giao thông trên các tuyến đường này trở lại bình thường.",
            "Theo cơ quan khí tượng, dù đã bước vào mùa khô nhưng khu vực Nam Bộ vẫn có thể xuất hiện mưa trái mùa do ảnh hưởng của rãnh áp thấp, lượng mưa phổ biến 20-50 mm.",
        ],
        subs=[("Rất may không có thương vong", "Vụ việc không gây thương vong"), ("đã điều", "điều"), ("vẫn có thể xuất hiện", "có thể còn xuất hiện")],
    ),
    dict(
        key="vn-rice", lang="vi",
        title="Xuất khẩu gạo 11 tháng vượt 8,2 triệu tấn, cao nhất từ trước đến nay",
        alt_title="Gạo Việt Nam xuất khẩu đạt kỷ lục về sản lượng",
        paras=[
            "Theo số liệu của Tổng cục Hải quan, trong 11 tháng năm 2026, Việt Nam xuất khẩu được 8,23 triệu tấn gạo, trị giá hơn 4,9 tỷ USD, tăng 6% về lượng so với cùng kỳ năm trước.",
            "Philippines tiếp tục là thị trường nhập khẩu lớn nhất với 3,1 triệu tấn, tiếp theo là Indonesia và Malaysia. Giá gạo 5% tấm xuất khẩu hiện dao động quanh mức 520 USD một tấn.",
            "Hiệp hội Lương thực Việt Nam dự báo cả năm lượng gạo xuất khẩu có thể đạt 8,9 triệu tấn. Các doanh nghiệp đang đẩy mạnh gạo thơm, gạo chất lượng cao sang thị trường châu Âu và Nhật Bản.",
        ],
        subs=[("Theo số liệu của", "Số liệu từ"), ("tiếp tục là", "vẫn là"), ("đang đẩy mạnh", "đẩy mạnh xuất khẩu")],
        en=("Rice exports top 8.2 million tonnes in 11 months, a record", [
            "According to customs data, in the first 11 months of 2026 Vietnam exported 8.23 million tonnes of rice worth more than 4.9 billion USD, up 6% in volume year on year.",
            "The Philippines remained the largest buyer with 3.1 million tonnes, followed by Indonesia and Malaysia. Vietnamese 5% broken rice is currently quoted around 520 USD per tonne.",
            "The Vietnam Food Association expects full-year exports to reach 8.9 million tonnes, with exporters pushing fragrant and high-quality rice into Europe and Japan.",
        ]),
    ),
    dict(
        key="hue-festival", lang="vi",
        title="Festival Huế 2027 sẽ kéo dài suốt bốn mùa",
        alt_title="Huế công bố chương trình Festival bốn mùa năm 2027",
        paras=[
            "Ủy ban nhân dân thành phố Huế vừa công bố chương trình Festival Huế 2027 với chủ đề di sản văn hóa với hội nhập và phát triển, gồm các sự kiện trải dài cả bốn mùa thay vì tập trung trong một tuần như trước đây.",
            "Điểm nhấn là lễ hội mùa xuân tại Đại Nội vào tháng 4, tuần lễ áo dài trên sông Hương vào tháng 6 và đêm hoàng cung tái hiện không gian cung đình triều Nguyễn vào mùa thu.",
            "Ban tổ chức kỳ vọng thu hút 4,5 triệu lượt khách trong năm. Các doanh nghiệp lữ hành được khuyến khích xây dựng tour kết hợp lễ hội với tham quan lăng tẩm và ẩm thực Huế.",
        ],
        subs=[("vừa công bố", "công bố"), ("Điểm nhấn là", "Nổi bật là"), ("kỳ vọng thu hút", "dự kiến đón")],
    ),
    dict(
        key="vn-heat", lang="vi",
        title="Giá xăng giảm lần thứ ba liên tiếp từ chiều nay",
        alt_title="Xăng RON 95 giảm 410 đồng mỗi lít",
        paras=[
            "Liên Bộ Công Thương - Tài chính quyết định giảm giá xăng dầu từ 15 giờ chiều 20/11. Theo đó, xăng E5 RON 92 giảm 380 đồng, còn 19.620 đồng một lít; xăng RON 95 giảm 410 đồng, còn 20.750 đồng một lít.",
            "Giá dầu diesel giảm 290 đồng, còn 18.310 đồng một lít; dầu hỏa giảm 250 đồng. Đây là lần giảm thứ ba liên tiếp, phù hợp với diễn biến giá xăng dầu thế giới trong kỳ điều hành vừa qua.",
            "Trong kỳ này, liên Bộ không trích lập và không chi sử dụng Quỹ bình ổn giá xăng dầu. Các doanh nghiệp đầu mối được yêu cầu bảo đảm nguồn cung, không để gián đoạn bán hàng tại các cửa hàng bán lẻ.",
        ],
        subs=[("quyết định giảm", "điều chỉnh giảm"), ("phù hợp với diễn biến", "theo diễn biến"), ("được yêu cầu", "phải")],
    ),
    dict(
        key="ct-bridge", lang="vi",
        title="Khởi công cầu Đại Ngãi 2 nối Sóc Trăng và Trà Vinh",
        alt_title="Cầu Đại Ngãi 2 vốn hơn 4.000 tỷ đồng chính thức khởi công",
        paras=[
            "Sáng 21/11, Bộ Xây dựng tổ chức lễ khởi công cầu Đại Ngãi 2 bắc qua sông Hậu, thuộc dự án đường bộ ven biển nối Sóc Trăng với Trà Vinh, tổng mức đầu tư hơn 4.000 tỷ đồng.",
            "Cầu dài 2,1 km, rộng bốn làn xe, có nhịp chính dây văng dài 450 m cho phép tàu biển trọng tải 20.000 tấn đi qua. Công trình dự kiến hoàn thành vào cuối năm 2028.",
            "Khi đưa vào sử dụng, cầu sẽ rút ngắn thời gian đi từ Sóc Trăng sang Trà Vinh từ hơn hai giờ xuống còn khoảng 40 phút, thay thế tuyến phà đang quá tải vào dịp lễ, Tết.",
        ],
        subs=[("tổ chức lễ khởi công", "khởi công"), ("dự kiến hoàn thành", "phấn đấu hoàn thành"), ("rút ngắn thời gian", "giảm thời gian")],
    ),
    dict(
        key="en-sg-port", lang="en", topic="singapore-port",
        title="Singapore opens fully automated Tuas terminal phase two",
        alt_title="Tuas mega-port adds eight automated berths",
        paras=[
            "Singapore on Tuesday opened the second phase of its Tuas container terminal, adding eight fully automated berths and raising the port's handling capacity to 65 million twenty-foot equivalent units a year.",
            "The terminal uses driverless electric vehicles and remotely operated quay cranes controlled from an operations centre, which the port operator said cut energy use per container by about 15 per cent.",
            "Transport minister said the expansion keeps Singapore ahead of regional rivals as shipping lines reroute around congested hubs. When complete in the 2040s, Tuas will be the largest fully automated terminal in the world.",
            "Dock workers' unions have been told that no jobs will be cut, with staff retrained to supervise the automated systems.",
        ],
        subs=[("on Tuesday opened", "opened on Tuesday"), ("said the expansion keeps", "said the expansion would keep"), ("have been told", "were assured")],
    ),
    dict(
        key="en-sg-strike", lang="en", topic="singapore-port",
        title="Container backlog builds at Singapore as ships bunch up after storms",
        alt_title="Ships wait days for berths in Singapore after storm delays",
        paras=[
            "Waiting times for container berths in Singapore stretched to as long as four days this week as vessels delayed by storms in the South China Sea arrived in clusters, according to shipping data analysts.",
            "About 45 container ships were waiting at anchorage on Wednesday, double the usual number. The port authority said it had reopened older berths at Pasir Panjang and extended working hours to clear the queue.",
            "Freight forwarders warned that the backlog could ripple through to ports in Europe before the Christmas season, adding to costs for importers already facing higher rates on Asia-Europe routes.",
        ],
        subs=[("stretched to as long as", "reached up to"), ("warned that", "said"), ("already facing", "who already face")],
    ),
    dict(
        key="en-ai-rules", lang="en",
        title="EU agrees rules for general-purpose AI models",
        alt_title="European lawmakers strike deal on AI model obligations",
        paras=[
            "European Union negotiators reached a provisional agreement late on Thursday on obligations for providers of general-purpose artificial intelligence models, including transparency reports and copyright safeguards.",
            "Under the deal, providers of the most capable models will have to assess systemic risks, report serious incidents to the Commission and meet cybersecurity standards. Smaller open-source models get lighter duties.",
            "The rules still need formal approval from member states and the European Parliament and would apply from 2028. Industry groups said the timeline was tight but welcomed clearer guidance on training data.",
        ],
        subs=[("reached a provisional agreement", "struck a provisional deal"), ("will have to", "must"), ("welcomed clearer guidance", "welcomed the clearer guidance")],
    ),
    dict(
        key="en-quake", lang="en",
        title="Magnitude 6.4 earthquake strikes off northern Japan, no tsunami warning",
        alt_title="Strong quake shakes Aomori; trains briefly halted",
        paras=[
            "A magnitude 6.4 earthquake struck off the coast of Aomori prefecture in northern Japan at 10:12 local time on Monday, the Japan Meteorological Agency said, adding that no tsunami warning was issued.",
            "The quake, at a depth of about 50 kilometres, registered a lower 5 on Japan's seismic intensity scale in the town of Hachinohe. Bullet train services on the Tohoku line were halted for about 40 minutes for safety checks.",
            "Tohoku Electric Power said there were no abnormalities at the Higashidori nuclear plant. Local officials reported minor damage including broken windows and fallen shelves, with two people lightly injured.",
        ],
        subs=[("said, adding that", "said, and"), ("were halted", "were suspended"), ("reported minor damage", "reported some minor damage")],
    ),
    dict(
        key="en-climate", lang="en",
        title="Coastal cities pledge $12 billion for flood defences at summit",
        alt_title="Mayors back flood defence fund of $12 billion",
        paras=[
            "Mayors of 38 coastal cities pledged a combined 12 billion dollars over five years for flood defences and early warning systems at a summit in Rotterdam on Friday, citing faster sea level rise than projected a decade ago.",
            "The plan pairs Dutch engineering firms with cities in Asia and Africa, including Ho Chi Minh City, Jakarta and Lagos, to design sea walls, storm surge barriers and restored mangrove belts.",
            "Critics noted that only a third of the money is new funding, with the rest drawn from existing municipal budgets and development bank loans. Organisers said a progress report would be published every year.",
        ],
        subs=[("pledged a combined", "committed a combined"), ("Critics noted", "Critics pointed out"), ("would be published", "will be published")],
    ),
    dict(
        key="en-football", lang="en",
        title="Vietnam beat Thailand 2-1 to reach regional final",
        alt_title="Late winner sends Vietnam into the final",
        paras=[
            "Vietnam came from behind to beat Thailand 2-1 in Hanoi on Sunday and reach the final of the regional championship, with a stoppage-time header deciding a tense semi-final at My Dinh stadium.",
            "Thailand led through a first-half penalty before Vietnam equalised just after the hour with a low shot from the edge of the area. The winner came in the 92nd minute from a corner.",
            "The coach praised his players' patience and said the team would rest for two days before preparing for the two-legged final against Indonesia, which starts next weekend.",
        ],
        subs=[("came from behind to beat", "fought back to beat"), ("praised his players' patience", "praised the patience of his players"), ("which starts", "starting")],
    ),
    dict(
        key="en-chip", lang="en",
        title="Chipmaker to build $2 billion packaging plant in northern Vietnam",
        alt_title="New $2 billion chip packaging factory planned near Hanoi",
        paras=[
            "A US semiconductor company said on Wednesday it would invest 2 billion dollars in a chip assembly and testing plant in Bac Ninh province, its largest investment in Southeast Asia.",
            "Construction is due to begin in the first quarter and the plant is expected to employ about 4,000 people when it reaches full capacity in 2029, the company said in a statement.",
            "Vietnam has been courting chip investment as manufacturers diversify supply chains. The government offers corporate tax breaks and land rent exemptions for high-tech projects in designated zones.",
        ],
        subs=[("said on Wednesday it would invest", "announced on Wednesday an investment of"), ("is due to begin", "will begin"), ("has been courting", "is courting")],
    ),
]

# Different stories under the same generic headline: briefs, weather
# reports of consecutive days (a template with other numbers), live pages.
GENERIC = [
    dict(key="brief-1", lang="vi", title="Tin vắn", paras=[
        "Công an huyện Gia Lâm đang điều tra vụ cháy kho hàng tại xã Dương Xá xảy ra rạng sáng 24/11, thiệt hại ước tính khoảng 3 tỷ đồng, không có thương vong. Nguyên nhân ban đầu được xác định do chập điện tại khu vực để máy nén khí.",
        "Lực lượng cứu hỏa mất hai giờ để khống chế đám cháy do kho chứa nhiều bao bì nhựa và giấy.",
    ]),
    dict(key="brief-2", lang="vi", title="Tin vắn", paras=[
        "Trường Đại học Bách khoa Hà Nội công bố học bổng toàn phần cho 50 sinh viên có hoàn cảnh khó khăn trong năm học 2026-2027, mỗi suất trị giá 40 triệu đồng, kèm chỗ ở miễn phí tại ký túc xá.",
        "Hồ sơ được nhận đến hết ngày 15/12 qua cổng thông tin sinh viên của trường, kết quả công bố vào đầu tháng 1.",
    ]),
    dict(key="brief-3", lang="vi", title="Tin vắn", paras=[
        "Bảo tàng Lịch sử quốc gia mở cửa miễn phí cho học sinh, sinh viên vào ngày Chủ nhật cuối cùng của mỗi tháng từ tháng 12, nhằm khuyến khích giới trẻ tìm hiểu lịch sử dân tộc qua hiện vật.",
        "Bảo tàng cũng ra mắt ứng dụng thuyết minh tự động bằng tiếng Việt, tiếng Anh và tiếng Pháp cho khách tham quan.",
    ]),
    dict(key="weather-24", lang="vi", title="Thời tiết hôm nay", paras=[
        "Dự báo thời tiết ngày 24/11: Bắc Bộ trời nhiều mây, sáng sớm có sương mù nhẹ, nhiệt độ thấp nhất 17-19 độ, cao nhất 24-26 độ. Trung Bộ có mưa rào và dông rải rác, riêng Quảng Ngãi đến Khánh Hòa mưa vừa, có nơi mưa to.",
        "Nam Bộ ngày nắng, chiều tối có mưa rào vài nơi, nhiệt độ cao nhất 32-34 độ. Gió đông bắc trên vịnh Bắc Bộ cấp 5, giật cấp 7, biển động.",
    ]),
    dict(key="weather-25", lang="vi", title="Thời tiết hôm nay", paras=[
        "Dự báo thời tiết ngày 25/11: Bắc Bộ trời nhiều mây, sáng sớm có sương mù nhẹ, nhiệt độ thấp nhất 15-17 độ, cao nhất 21-23 độ. Trung Bộ có mưa rào và dông rải rác, riêng Thừa Thiên Huế đến Quảng Nam mưa vừa, có nơi mưa to.",
        "Nam Bộ ngày nắng, chiều tối có mưa rào vài nơi, nhiệt độ cao nhất 31-33 độ. Gió đông bắc trên vịnh Bắc Bộ cấp 6, giật cấp 8, biển động mạnh.",
    ]),
    dict(key="weather-26", lang="vi", title="Thời tiết hôm nay", paras=[
        "Dự báo thời tiết ngày 26/11: Bắc Bộ trời nhiều mây, sáng sớm có sương mù nhẹ, nhiệt độ thấp nhất 14-16 độ, cao nhất 20-22 độ. Trung Bộ có mưa rào và dông rải rác, riêng Quảng Trị đến Đà Nẵng mưa vừa, có nơi mưa to.",
        "Nam Bộ ngày nắng, chiều tối có mưa rào vài nơi, nhiệt độ cao nhất 30-32 độ. Gió đông bắc trên vịnh Bắc Bộ cấp 6, giật cấp 7, biển động.",
    ]),
    dict(key="live-1", lang="en", title="Live updates", paras=[
        "Polls have closed across the state and counting is under way in the governor's race, with early returns from rural counties showing the incumbent ahead by six points. Urban precincts, which lean toward the challenger, are expected to report after midnight.",
        "Turnout is estimated at 61 per cent, the highest for a midterm election in two decades, according to the secretary of state's office.",
    ]),
    dict(key="live-2", lang="en", title="Live updates", paras=[
        "The central bank held its benchmark interest rate at 4.25 per cent, as expected by most economists, while signalling that a cut could come in the first quarter if inflation continues to ease toward its target.",
        "Bond yields fell after the statement and the currency weakened slightly against the dollar. The governor will hold a news conference at 3 pm.",
    ]),
    dict(key="live-3", lang="en", title="Live updates", paras=[
        "Firefighters are battling a fast-moving bushfire north of the city that has burned more than 12,000 hectares since Saturday, forcing the evacuation of three towns as hot, dry winds gusted up to 70 kilometres an hour.",
        "Authorities said two homes had been destroyed and urged residents in the fire's path to leave immediately rather than wait for further warnings.",
    ]),
]

# Follow-ups: a new article on a story a base covered, repeating the base's
# background paragraph verbatim, as outlets do. A different story.
FOLLOWUPS = [
    dict(key="hp-ship-refloated", lang="vi", follows="hp-ship", hours=30,
         title="Tàu mắc cạn ở luồng Lạch Huyện đã được kéo ra an toàn",
         paras=[
             "Sau hơn 30 giờ ứng cứu, chiều 25/11, tàu chở hàng rời mang cờ Panama đã được bốn tàu lai dắt kéo ra khỏi vị trí mắc cạn và đưa về khu neo đậu Lan Hạ để kiểm tra thân vỏ, luồng Lạch Huyện thông tuyến trở lại.",
             "Giám đốc Cảng vụ cho biết thợ lặn chưa phát hiện vết nứt ở đáy tàu. Chủ tàu phải chịu toàn bộ chi phí cứu hộ và có thể bị xử phạt nếu kết luận thuyền trưởng vi phạm quy định hành hải khi thủy triều xuống thấp.",
             "Cảng vụ Hàng hải Hải Phòng cho biết không có thiệt hại về người và chưa phát hiện dầu tràn. Bốn tàu lai dắt đã được điều đến hỗ trợ, dự kiến đưa tàu ra khỏi vị trí mắc cạn khi nước lên vào chiều cùng ngày.",
         ]),
    dict(key="hn-metro-started", lang="vi", follows="hn-metro", hours=48,
         title="Tàu metro bắt đầu chạy thử đoạn ngầm qua Văn Miếu",
         paras=[
             "Sáng nay, đoàn tàu đầu tiên đã chạy thử trên đoạn đi ngầm qua ga Văn Miếu, mỗi đoàn tàu dừng tại các ga đúng thời gian theo biểu đồ, các kỹ sư ghi nhận độ rung và tiếng ồn trong hầm ở mức thấp hơn tiêu chuẩn cho phép.",
             "Ban Quản lý đường sắt đô thị cho biết sẽ có 12 đoàn tàu tham gia chạy thử trong ba tháng, mỗi ngày chạy từ 5 giờ đến 22 giờ để kiểm tra khả năng chịu tải của hệ thống thông gió.",
             "Đoạn ngầm gồm bốn ga Kim Mã, Cát Linh, Văn Miếu và ga Hà Nội. Trong giai đoạn chạy thử, các đoàn tàu sẽ vận hành theo biểu đồ như khai thác thực tế nhưng không chở khách.",
         ]),
    dict(key="en-quake-aftershock", lang="en", follows="en-quake", hours=26,
         title="Aftershock rattles northern Japan a day after 6.4 quake",
         paras=[
             "A magnitude 5.1 aftershock struck off Aomori on Tuesday morning, a day after a stronger earthquake in the same area, prompting a brief suspension of some local train lines but causing no reported injuries.",
             "The Japan Meteorological Agency urged residents to stay alert for aftershocks of similar strength over the coming week and to check that furniture was secured.",
             "The quake, at a depth of about 50 kilometres, registered a lower 5 on Japan's seismic intensity scale in the town of Hachinohe. Bullet train services on the Tohoku line were halted for about 40 minutes for safety checks.",
         ]),
    dict(key="vn-rice-price", lang="vi", follows="vn-rice", hours=40,
         title="Giá lúa tại Đồng bằng sông Cửu Long tăng nhẹ cuối vụ thu đông",
         paras=[
             "Giá lúa thường tại ruộng ở An Giang, Đồng Tháp và Cần Thơ những ngày qua tăng 200-300 đồng một kg so với tuần trước, lên 7.200-7.500 đồng một kg, do thương lái tăng thu mua phục vụ các hợp đồng xuất khẩu cuối năm.",
             "Nông dân cho biết năng suất vụ thu đông năm nay đạt khoảng 5,8 tấn mỗi ha, lợi nhuận ước 25-30 triệu đồng mỗi ha sau khi trừ chi phí.",
             "Philippines tiếp tục là thị trường nhập khẩu lớn nhất với 3,1 triệu tấn, tiếp theo là Indonesia và Malaysia. Giá gạo 5% tấm xuất khẩu hiện dao động quanh mức 520 USD một tấn.",
         ]),
]
