"""The few sentences the gateway says on its own (everything else comes from the bot)."""

EMPTY_TEXT = (
    "Bạn muốn hỏi về thủ tục hành chính nào? Vui lòng nhập câu hỏi, ví dụ: “làm giấy khai sinh cần giấy tờ gì”."
)
BOT_UNAVAILABLE = (
    "Xin lỗi, hệ thống đang bận nên chưa trả lời được câu hỏi của bạn. "
    "Bạn vui lòng thử lại sau ít phút hoặc gọi {name}, số {number}."
)
CALL_BUTTON = "Gọi {number}"
# The web chat refuses a message over the limit (the page says the same before sending).
TEXT_TOO_LONG = (
    "Tin nhắn dài {length} ký tự, vượt quá giới hạn {limit} ký tự nên chưa được gửi. "
    "Bạn vui lòng rút gọn câu hỏi hoặc chia thành nhiều tin nhắn ngắn hơn."
)
MORE_OPTIONS = "Lựa chọn khác:"

INTERNAL_ERROR = "Hệ thống đang gặp sự cố. Bạn vui lòng thử lại sau ít phút."
NOT_FOUND = "Không tìm thấy địa chỉ yêu cầu."
METHOD_NOT_ALLOWED = "Phương thức không được hỗ trợ cho địa chỉ này."
INVALID_REQUEST = "Yêu cầu không hợp lệ."
INVALID_JSON = "Nội dung gửi lên không phải JSON hợp lệ."
FIELD_MISSING = "Thiếu trường “{field}”."
FIELD_NOT_STRING = "Trường “{field}” phải là chuỗi ký tự."
FIELD_EMPTY = "Trường “{field}” không được để trống."
FIELD_TOO_LONG = "Trường “{field}” quá dài."
FIELD_INVALID = "Giá trị của trường “{field}” không hợp lệ."
UNKNOWN_CHANNEL = "Kênh không hợp lệ: chỉ nhận “web”, “telegram” hoặc “zalo”."

CHANNEL_NOT_CONFIGURED = "Kênh chưa được cấu hình."
SECRET_MISSING = "Thiếu mã xác thực của kênh."
SECRET_WRONG = "Mã xác thực của kênh không đúng."
BODY_TOO_LARGE = "Nội dung gửi lên quá lớn."
EVENT_STALE = "Sự kiện có thời điểm nằm ngoài khoảng cho phép nên được bỏ qua."
TOO_MANY_REQUESTS = "Có quá nhiều yêu cầu từ địa chỉ này. Bạn vui lòng thử lại sau ít phút."

# Rate limits: a citizen sending faster than a person types.
TOO_FAST_CHAT = (
    "Bạn đang gửi tin nhắn quá nhanh. Bạn vui lòng đợi khoảng {seconds} giây rồi gửi lại. "
    "Nếu cần gấp, bạn vui lòng gọi {name}, số {number}."
)
TOO_FAST_CHANNEL = (
    "Bạn đang gửi tin nhắn quá nhanh nên trợ lý chưa trả lời các tin vừa gửi. "
    "Bạn vui lòng đợi một lát rồi gửi lại câu hỏi. "
    "Nếu cần gấp, bạn vui lòng gọi {name}, số {number}."
)

# Channels (Telegram, Zalo OA, Zalo Bot).
BOT_DELAYED = (
    "Xin lỗi, hệ thống đang bận nên chưa trả lời ngay được. "
    "Câu hỏi của bạn đã được ghi nhận và trợ lý sẽ trả lời ngay khi hệ thống hoạt động "
    "trở lại. Nếu cần gấp, bạn vui lòng gọi {name}, số {number}."
)
UNSUPPORTED_IMAGE = (
    "Trợ lý chưa xem được hình ảnh. Bạn vui lòng gõ câu hỏi bằng chữ, "
    "ví dụ: “làm giấy khai sinh cần giấy tờ gì”. "
    "Lưu ý: không gửi ảnh giấy tờ tùy thân qua đây."
)
UNSUPPORTED_STICKER = (
    "Cảm ơn bạn! Bạn cần hỏi về thủ tục hành chính nào? Hãy gõ câu hỏi, ví dụ: “thủ tục cấp lại căn cước”."
)
UNSUPPORTED_LOCATION = (
    "Trợ lý đã nhận được vị trí nhưng chưa dùng vị trí để tra cứu được. "
    "Bạn vui lòng gõ tên thủ tục, hoặc tên phường, xã nơi bạn cần làm thủ tục."
)
UNSUPPORTED_FILE = (
    "Trợ lý chưa đọc được tệp đính kèm. Bạn vui lòng gõ câu hỏi bằng chữ. "
    "Hồ sơ cần nộp qua Cổng dịch vụ công hoặc tại bộ phận một cửa, "
    "không gửi qua đây."
)
UNSUPPORTED_OTHER = (
    "Trợ lý hiện chỉ hiểu tin nhắn chữ. Bạn vui lòng gõ câu hỏi, ví dụ: “làm giấy khai sinh cần giấy tờ gì”."
)
BUTTON_EXPIRED = "Nút bấm này đã hết hạn. Bạn vui lòng gõ lại câu hỏi."
# An answer sent minutes after the question (Rasa or the platform was down): what it answers.
LATE_ANSWER = "Trả lời câu hỏi “{question}” của bạn:"
# Officers' console: the outbound queue (answers and officers' messages not yet on the platform).
OUTBOUND_EMPTY = "Hàng đợi gửi tin: không có tin nhắn nào đang chờ gửi tới người dân."
OUTBOUND_WAITING = "Hàng đợi gửi tin: {depth} tin nhắn đang chờ gửi tới người dân, tin lâu nhất đã chờ {minutes} phút."
CHOOSE = "Mời bạn chọn:"

# Conversation layer: ratings and a conversation handed to an officer.
RATING_THANKS = "Cảm ơn bạn đã đánh giá!"
RATING_CHANGED = "Đã đổi đánh giá của bạn cho câu trả lời này. Cảm ơn bạn!"
HANDOFF_FORWARDED = (
    "Tin nhắn của bạn đã được chuyển tới cán bộ; cán bộ sẽ trả lời bạn ngay tại đây. "
    "Muốn quay lại trợ lý ảo, bạn nhắn “kết thúc”."
)
HANDOFF_END_BUTTON = "↩️ Quay lại trợ lý ảo"
HANDOFF_END_PAYLOAD = "kết thúc"
# A clearly different question during a handoff: the bot answers it too (the officer sees it).
HANDOFF_BOT_ANSWERS = "Tin nhắn của bạn cũng đã được chuyển tới cán bộ. Trong lúc chờ, trợ lý ảo trả lời:"
HANDOFF_ENDED = (
    "Đã kết thúc trò chuyện với cán bộ. Trợ lý ảo tiếp tục hỗ trợ bạn: bạn cần hỏi thủ tục nào, cứ nhắn nhé."
)
OFFICER_REPLY = "Cán bộ trả lời: {text}"
HANDOFF_CLOSED = (
    "Cán bộ đã kết thúc cuộc trò chuyện. Trợ lý ảo tiếp tục hỗ trợ bạn: bạn cần hỏi thủ tục nào, cứ nhắn nhé."
)

# Officers' Telegram group (a masked tag stands for the citizen).
OFFICERS_NEW_HANDOFF = (
    "🔔 Người dân cần gặp cán bộ — hội thoại #{id}\n"
    "Kênh: {channel} · Người dân: {tag}\n"
    "Tin nhắn gần đây:\n{recent}\n"
    "Trả lời, kết thúc: trang Gặp cán bộ của bảng điều khiển (/admin/handoffs/{id}), "
    "hoặc POST /admin/api/handoffs/{id}/reply và /close"
)
OFFICERS_RELAY = "💬 Hội thoại #{id} ({channel}, người dân {tag}):\n{text}"
OFFICERS_CITIZEN_ENDED = "↩️ Người dân đã kết thúc hội thoại #{id} ({channel}, người dân {tag}); trợ lý ảo trả lời tiếp."
OFFICERS_NO_MESSAGES = "(chưa có)"

# Admin API.
ADMIN_NOT_CONFIGURED = "API quản trị chưa cấu hình (TROLYAO_ADMIN_TOKEN)."
ADMIN_TOKEN_MISSING = "Thiếu mã xác thực (Authorization: Bearer ...)."
ADMIN_TOKEN_WRONG = "Mã xác thực không đúng."
RECORDS_UNAVAILABLE = "Kho dữ liệu chưa sẵn sàng."
TICKET_NOT_FOUND = "Không tìm thấy phản ánh {code}."
HANDOFF_NOT_FOUND = "Không tìm thấy hội thoại #{id}."
HANDOFF_ALREADY_CLOSED = "Hội thoại #{id} đã kết thúc."
BAD_DATE = "Ngày “{value}” không hợp lệ: dùng dạng YYYY-MM-DD."
BAD_FORMAT = "Định dạng không hợp lệ: chỉ nhận csv, xlsx hoặc json."
BAD_STATUS = "Trạng thái không hợp lệ: chỉ nhận open hoặc answered."
