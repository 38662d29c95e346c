"""The few sentences the gateway says on its own (everything else comes from the bot)."""

EMPTY_TEXT = (
    "Bạn muốn hỏi về thủ tục hành chính nào? "
    "Vui lòng nhập câu hỏi, ví dụ: “làm giấy khai sinh cần giấy tờ gì”."
)
BOT_UNAVAILABLE = (
    "Xin lỗi, hệ thống đang bận nên chưa trả lời được câu hỏi của bạn. "
    "Bạn vui lòng thử lại sau ít phút hoặc gọi {name}, số {number}."
)
CALL_BUTTON = "Gọi {number}"
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
    "Cảm ơn bạn! Bạn cần hỏi về thủ tục hành chính nào? "
    "Hãy gõ câu hỏi, ví dụ: “thủ tục cấp lại căn cước”."
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
    "Trợ lý hiện chỉ hiểu tin nhắn chữ. Bạn vui lòng gõ câu hỏi, "
    "ví dụ: “làm giấy khai sinh cần giấy tờ gì”."
)
BUTTON_EXPIRED = "Nút bấm này đã hết hạn. Bạn vui lòng gõ lại câu hỏi."
CHOOSE = "Mời bạn chọn:"
