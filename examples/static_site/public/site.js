// Asks the API for the server's time once a second and shows it.
async function showTime() {
  const output = document.getElementById("time");
  try {
    const response = await fetch("/api/time");
    const answer = await response.json();
    output.textContent = answer.utc;
  } catch (error) {
    output.textContent = "unreachable";
  }
}

showTime();
setInterval(showTime, 1000);
