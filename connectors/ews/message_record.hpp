// message_record.hpp: an EWS item (GetItem with item:Attachments) as a connector::MessageRecord.
//
//   ref.item_id     ItemId Id; ref.change_key the ItemId ChangeKey (actions send it back)
//   size            item:Size; internal_date DateTimeReceived; sent_date DateTimeSent
//   from_address    From/Mailbox/EmailAddress (for RoutingType EX an X.500 DN, as Exchange gives it)
//   flags           IsRead -> "\Seen", Flag/FlagStatus Flagged -> "\Flagged"
//   protection      from ItemClass: IPM.Note.SMIME.MultipartSigned -> signed, IPM.Note.SMIME ->
//                   encrypted, IPM.Schedule.Meeting.* and IPM.Appointment* -> calendar
//   attachments     FileAttachment and ItemAttachment (a forwarded message is ONE attachment,
//                   INVENTORY.md rule 2; content type message/rfc822 when Exchange gives none);
//                   ReferenceAttachment (a link to a cloud file) has no bytes here and is left out.
//                   section = AttachmentId. size = Exchange's Size, which is PR_ATTACH_SIZE: the
//                   attachment object's size on the server, content plus its properties, so
//                   larger than the decoded content: size_exact is false unless the settings say
//                   the server reports decoded sizes (the test server does).
// Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "ews/types.hpp"
#include "interface/connector.hpp"

namespace mailprune::ews {

struct RecordOptions {
  bool attachment_sizes_exact = false;
};

connector::MessageRecord message_record(const Item& item, const RecordOptions& options = {});
connector::AttachmentRecord attachment_record(const Attachment& attachment, const RecordOptions& options = {});
std::string protection_of(std::string_view item_class);

}  // namespace mailprune::ews
