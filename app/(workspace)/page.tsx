/** The empty page, for a new conversation: the layout draws it. */
export default function NewConversationPage() {
  return null;
}
