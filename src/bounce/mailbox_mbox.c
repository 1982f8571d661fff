/* placeholder: the mbox backend follows once mbox_split is on main */
#include "base/common.h"
#include "bounce/mailbox_internal.h"

int mailbox_mbox_open(struct mailbox *mb)
{
	return error("%s: mbox mailboxes are not supported yet", mb->desc);
}
